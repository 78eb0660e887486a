import type { StartedWorker, WorkerDeps } from "../worker/run-worker";
import { startPollLoop } from "../worker/poll-loop";
import { createLauncherId, launchNextCampaign } from "./launcher";
import { runSchedulerTick } from "./scheduler";
import { startInvoiceLoop } from "../invoices/job";

export async function startLauncher({ env, log, db, redis, producer }: WorkerDeps): Promise<StartedWorker> {
  const launcherId = createLauncherId();
  const loop = startPollLoop({
    name: "launcher",
    intervalMs: env.POLL_INTERVAL_MS,
    log,
    tick: (isStopping) =>
      launchNextCampaign(
        {
          db,
          redis,
          producer,
          log,
          topicPrefix: env.KAFKA_TOPIC_PREFIX,
          batchSize: env.LAUNCH_BATCH_SIZE,
          leaseSeconds: env.LAUNCHER_LEASE_SECONDS,
          launcherId,
        },
        isStopping,
      ),
  });
  return { stop: () => loop.stop(), checks: { loop: async () => ({ ok: loop.isHealthy() }) } };
}

export async function startScheduler({ env, log, db, redis, producer }: WorkerDeps): Promise<StartedWorker> {
  const loop = startPollLoop({
    name: "scheduler",
    intervalMs: env.POLL_INTERVAL_MS,
    log,
    tick: async () => {
      const { started, released } = await runSchedulerTick({
        db,
        redis,
        producer,
        topicPrefix: env.KAFKA_TOPIC_PREFIX,
      });
      if (started.length > 0) log.info({ campaigns: started }, "started scheduled campaigns");
      return released > 0;
    },
  });
  // Monthly postpaid invoices, at most one run an hour (see server/invoices/job.ts).
  const invoices = startInvoiceLoop({ db, redis, log, namespace: env.KAFKA_TOPIC_PREFIX });
  return {
    stop: () => Promise.all([loop.stop(), invoices.stop()]).then(() => undefined),
    checks: { loop: async () => ({ ok: loop.isHealthy() }), invoices: async () => ({ ok: invoices.isHealthy() }) },
  };
}
