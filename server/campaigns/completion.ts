import type pg from "pg";
import { FINAL_STATUSES } from "../messages/status";

/**
 * A running campaign that has published every recipient and whose every
 * message has a final status is COMPLETED. Called by the status writer (in
 * its transaction) and by the launcher when it publishes the last row.
 */
export async function completeFinishedCampaigns(db: pg.Pool | pg.PoolClient, campaignIds: string[]): Promise<string[]> {
  if (campaignIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `UPDATE campaigns c SET status = 'COMPLETED', completed_at = now(), updated_at = now()
     WHERE c.id = ANY($1::text[]) AND c.status = 'RUNNING' AND c.launched_at IS NOT NULL
       AND c.published_count <= (SELECT COALESCE(sum(count), 0) FROM campaign_counters k
                                 WHERE k.campaign_id = c.id AND k.status = ANY($2::"MessageStatus"[]))
     RETURNING c.id`,
    [campaignIds, FINAL_STATUSES],
  );
  return rows.map((r) => r.id);
}
