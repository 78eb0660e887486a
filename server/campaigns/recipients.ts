import type pg from "pg";

/** Bytes per stored chunk of a recipient list. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

/** Splits a pasted list on new lines, commas and semicolons. */
export function splitPastedRecipients(text: string): string[] {
  return text
    .split(/[\r\n,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Canonical stored form of a pasted list: one recipient per line. */
export function toRecipientLines(text: string): { content: Buffer; count: number } {
  const recipients = splitPastedRecipients(text);
  return { content: Buffer.from(recipients.join("\n") + "\n", "utf8"), count: recipients.length };
}

export function chunkBuffer(content: Buffer, size = UPLOAD_CHUNK_BYTES): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < content.length; i += size) chunks.push(content.subarray(i, i + size));
  return chunks;
}

/**
 * Streams a campaign's stored recipient list line by line, one chunk in
 * memory at a time. Yields [row number (1-based), recipient].
 */
export async function* readRecipientLines(pool: pg.Pool, campaignId: string): AsyncGenerator<[number, string]> {
  let carry = "";
  let row = 0;
  for (let seq = 0; ; seq++) {
    const { rows } = await pool.query<{ data: Buffer }>(
      "SELECT data FROM campaign_upload_chunks WHERE campaign_id = $1 AND seq = $2",
      [campaignId, seq],
    );
    if (rows.length === 0) break;
    // A chunk boundary may split a multi-byte character: decode at line ends only.
    const text = carry + rows[0]!.data.toString("latin1");
    const lines = text.split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      const value = Buffer.from(line, "latin1").toString("utf8").trim();
      if (value) yield [++row, value];
    }
  }
  const last = Buffer.from(carry, "latin1").toString("utf8").trim();
  if (last) yield [++row, last];
}
