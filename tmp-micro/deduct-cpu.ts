import { decodeRecord } from "../server/kafka/consumer";
import { usageCdrRecord, cdrPacking, type PackedCdrWire, type UsageCdr } from "../server/kafka/topics";
import { ledgerCopyText, totalsByAccount, uniqueCdrs } from "../server/billing/deduct";
import type { KafkaMessage } from "kafkajs";

const N = Number(process.argv[2] ?? 200_000);
const at = new Date().toISOString();
const accounts = Array.from({ length: 10_000 }, (_, i) => `bench-mi4x2k-acc-${i}`);
const packing = cdrPacking(at);
const messages: KafkaMessage[] = [];
for (let from = 0; from < N; from += 500) {
  const cdrs: PackedCdrWire[] = [];
  for (let k = from; k < from + 500; k++) {
    const id = `bench-mi4x2k-kafka-${k}`;
    cdrs.push({ cdrId: id, messageId: id, accountId: accounts[k % 10_000]!, clientId: "cmi4x2kabcdefghijklmnop", campaignId: null, category: "MARKETING", recipient: `+4479${String(10_000_000 + k)}`, segments: 1 + (k % 3), unitPrice: String(1 + (k % 5)), amount: String((1 + (k % 5)) * (1 + (k % 3))), currency: "USD" });
  }
  messages.push({ key: Buffer.from(cdrs[0]!.accountId), value: Buffer.from(packing.pack(cdrs)), offset: String(messages.length), timestamp: "0", attributes: 0, headers: {} } as KafkaMessage);
}
const ring: unknown[] = [];
function run() {
  let bytes = 0;
  for (let i = 0; i < messages.length; i += 28) {
    const cdrs: UsageCdr[] = [];
    for (const m of messages.slice(i, i + 28)) {
      const d = decodeRecord(usageCdrRecord, "t", 0, m);
      if (d.ok) for (const c of d.record.value.items) if (c.amount >= 0n) cdrs.push(c);
    }
    const u = uniqueCdrs(cdrs);
    bytes += ledgerCopyText(u).length;
    const totals = totalsByAccount(u);
    const byAccount = new Map<string, string[]>();
    for (const s of u) { const ids = byAccount.get(s.accountId); if (ids) ids.push(s.cdrId); else byAccount.set(s.accountId, [s.cdrId]); }
    bytes += totals.size + byAccount.size;
    ring.push(cdrs); if (ring.length > Number(process.env.RING ?? 6)) ring.shift();
  }
  return bytes;
}
for (let r = 0; r < 6; r++) {
  const t = performance.now();
  run();
  const ms = performance.now() - t;
  console.log(`round ${r}: ${((ms * 1000) / N).toFixed(2)} us/CDR`);
}
