import type { Logger } from "pino";

export type PollLoop = { stop(): Promise<void>; isHealthy(): boolean };

/**
 * Runs `tick` again and again: immediately while it reports work done, after
 * `intervalMs` when idle, with backoff after errors. stop() lets the tick in
 * progress finish (it sees `isStopping()` and may return early) and resolves
 * once it has.
 */
export function startPollLoop(opts: {
  name: string;
  intervalMs: number;
  log: Logger;
  tick: (isStopping: () => boolean) => Promise<boolean>;
}): PollLoop {
  let stopping = false;
  let failures = 0;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const done = (async () => {
    while (!stopping) {
      try {
        const didWork = await opts.tick(() => stopping);
        failures = 0;
        if (!didWork) await sleep(opts.intervalMs);
      } catch (err) {
        failures++;
        opts.log.error({ err, loop: opts.name, failures }, "poll loop tick failed");
        await sleep(Math.min(30_000, opts.intervalMs * 2 ** failures));
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await done;
    },
    isHealthy: () => failures < 5,
  };
}
