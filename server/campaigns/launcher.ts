import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Db } from "../db";
import type { VolleyProducer } from "../kafka/client";
import { bulkPacking, TOPICS, type BulkMessage } from "../kafka/topics";
import { metrics } from "../observability/metrics";
import { readUploadRows, type RecipientRow } from "../uploads/service";
import { completeFinishedCampaigns } from "./completion";
import { campaignMessageId } from "./service";
import { publishCampaignState } from "./state";

// be-campaign: publishes each RUNNING campaign's recipients to bulk-topic.
// One launcher holds a campaign at a time (a lease in Postgres, renewed with
// every checkpoint). After each batch is acknowledged by Kafka the
// checkpoint moves on, so a crash resumes after the last acknowledged batch:
// at most one batch is published twice, and its deterministic message ids
// make that harmless downstream.

export type LauncherDeps = {
  db: Db;
  redis: Redis;
  producer: VolleyProducer;
  log: Logger;
  topicPrefix: string;
  batchSize: number;
  leaseSeconds: number;
  launcherId?: string;
};

type Claimed = {
  id: string;
  client_id: string;
  upload_id: string;
  sender_id: string;
  template: string;
  category: BulkMessage["category"];
  allow_defer: boolean;
  rate_limit_per_second: number | null;
  launched_rows: number;
};

/**
 * bulk-topic key: campaign + the number's last nine digits. One big campaign
 * spreads over every partition (and validator), while every spelling of one
 * number ("07911 123456", "+44 7911 123456") lands on the same partition in
 * row order, so the first occurrence is the one kept as the original and
 * later ones are the duplicates, however many validators run. Only the CDR
 * topics are keyed by account (one account debited by one consumer).
 */
export function recipientKey(campaignId: string, recipient: string): string {
  return `${campaignId}:${recipient.replace(/\D/g, "").slice(-9)}`;
}

export function createLauncherId(): string {
  return `launcher-${process.pid}-${randomUUID().slice(0, 8)}`;
}

async function claimCampaign(db: Db, launcherId: string, leaseSeconds: number): Promise<Claimed | null> {
  const { rows } = await db.pool.query<Claimed>(
    `UPDATE campaigns SET launcher_id = $1, launcher_lease_until = now() + make_interval(secs => $2)
     WHERE id = (SELECT id FROM campaigns
                 WHERE status = 'RUNNING' AND launched_at IS NULL
                   AND (launcher_lease_until IS NULL OR launcher_lease_until < now() OR launcher_id = $1)
                 ORDER BY started_at NULLS FIRST, id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, client_id, upload_id, sender_id, template, category, allow_defer, rate_limit_per_second, launched_rows`,
    [launcherId, leaseSeconds],
  );
  return rows[0] ?? null;
}

/**
 * Claims one campaign that still has rows to publish and publishes them, or
 * until it is paused, cancelled, or the launcher is stopping. Returns
 * whether there was a campaign to work on.
 */
export async function launchNextCampaign(
  deps: LauncherDeps,
  isStopping: () => boolean = () => false,
): Promise<boolean> {
  const launcherId = deps.launcherId ?? createLauncherId();
  const campaign = await claimCampaign(deps.db, launcherId, deps.leaseSeconds);
  if (!campaign) return false;
  const log = deps.log.child({ campaignId: campaign.id });
  const topic = deps.topicPrefix + TOPICS.bulk.name;
  const rate = campaign.rate_limit_per_second;
  const batchSize = rate ? Math.max(1, Math.min(deps.batchSize, rate)) : deps.batchSize;
  const startedAt = Date.now();
  let publishedThisRun = 0;
  let batch: RecipientRow[] = [];
  let lastRow = campaign.launched_rows;
  log.info({ fromRow: lastRow }, "launching campaign");

  /** Publishes the batch, moves the checkpoint; false when the campaign should stop here. */
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    const createdAt = new Date().toISOString();
    const messages: BulkMessage[] = batch.map((r) => ({
      v: 1,
      messageId: campaignMessageId(campaign.id, r.row),
      clientId: campaign.client_id,
      campaignId: campaign.id,
      row: r.row,
      recipient: r.phone,
      sender: campaign.sender_id,
      template: campaign.template,
      variables: r.variables,
      category: campaign.category,
      createdAt,
      allowDefer: campaign.allow_defer,
    }));
    // Keyed by message id so one big campaign spreads over every validator; packed per partition.
    await deps.producer.sendPacked(topic, bulkPacking, messages);
    lastRow = batch[batch.length - 1]!.row;
    const { rows } = await deps.db.pool.query<{ status: string }>(
      `UPDATE campaigns SET launched_rows = $2, published_count = published_count + $3,
              launcher_lease_until = now() + make_interval(secs => $4)
       WHERE id = $1 AND launcher_id = $5 RETURNING status`,
      [campaign.id, lastRow, batch.length, deps.leaseSeconds, launcherId],
    );
    metrics.messagesPublished.inc(batch.length);
    publishedThisRun += batch.length;
    batch = [];
    if (rows.length === 0) {
      log.warn("lost the launcher lease; another launcher continues");
      return false;
    }
    if (rows[0]!.status !== "RUNNING") {
      log.info({ status: rows[0]!.status, lastRow }, "campaign no longer running; launch stops here");
      return false;
    }
    if (rate) {
      // Hold the campaign to its messages-per-second limit.
      const dueMs = (publishedThisRun / rate) * 1000 - (Date.now() - startedAt);
      if (dueMs > 0) await new Promise((r) => setTimeout(r, dueMs));
    }
    return !isStopping();
  };

  let finished = true;
  for await (const row of readUploadRows(deps.db.pool, campaign.upload_id, { fromRow: campaign.launched_rows })) {
    batch.push(row);
    if (batch.length >= batchSize && !(await flush())) {
      finished = false;
      break;
    }
  }
  if (finished && !(await flush())) finished = false;

  if (finished) {
    await deps.db.pool.query(
      `UPDATE campaigns SET launched_at = now(), launcher_id = NULL, launcher_lease_until = NULL
       WHERE id = $1 AND launcher_id = $2`,
      [campaign.id, launcherId],
    );
    // Every message may already be final (all rejected, say): nothing else would notice.
    const completed = await completeFinishedCampaigns(deps.db.pool, [campaign.id]);
    for (const id of completed) await publishCampaignState(deps.redis, id, "COMPLETED");
    log.info({ published: publishedThisRun, lastRow }, "campaign fully published");
  } else {
    await deps.db.pool.query(
      "UPDATE campaigns SET launcher_id = NULL, launcher_lease_until = NULL WHERE id = $1 AND launcher_id = $2",
      [campaign.id, launcherId],
    );
  }
  return true;
}
