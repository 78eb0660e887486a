import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deductBatch } from "@/server/billing/deduct";
import { refreshSettled, settledKey, startDeductionService } from "@/server/billing/deduction-worker";
import { createKafka, createProducer, ensureTopics } from "@/server/kafka/client";
import { kafkaConfig } from "@/server/kafka/config";
import {
  cdrPacking,
  DLQ_HEADERS,
  TOPICS,
  usageCdrV1,
  type PackedCdrWire,
  type UsageCdrWire,
} from "@/server/kafka/topics";
import type { StartedWorker } from "@/server/worker/run-worker";
import {
  cdrsOnTopic,
  createTestClient,
  createTestDeps,
  hotUpdatesOf,
  indexesAndOptions,
  readTopic,
  waitFor,
  waitForGroupCaughtUp,
} from "./helpers";

// The prepaid-manager against real Kafka, Postgres and Redis: every CDR is
// charged exactly once, whether it arrives twice or the worker is killed
// mid-run, and Redis holds the balance Postgres committed.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps?.close();
});

type TestAccount = { id: string; clientId: string; opening: bigint };

async function createAccounts(n: number, opening: (i: number) => bigint): Promise<TestAccount[]> {
  const accounts: TestAccount[] = [];
  for (let i = 0; i < n; i++) {
    const client = await createTestClient(deps.api, { balance: opening(i) });
    const account = await deps.db.prisma.account.findFirstOrThrow({ where: { clientId: client.id } });
    accounts.push({ id: account.id, clientId: client.id, opening: account.balance });
  }
  return accounts;
}

function cdr(account: TestAccount, id: string, unitPrice: bigint, segments: number): UsageCdrWire {
  return {
    v: 1,
    cdrId: id,
    messageId: id,
    accountId: account.id,
    clientId: account.clientId,
    campaignId: null,
    category: "MARKETING",
    recipient: "+447911123456",
    segments,
    unitPrice: unitPrice.toString(),
    amount: (unitPrice * BigInt(segments)).toString(),
    currency: "USD",
    at: new Date().toISOString(),
  };
}

/** Keyed by account, as the prepaid lane produces them. */
async function produce(topic: string, cdrs: UsageCdrWire[], producer = deps.producer) {
  for (let i = 0; i < cdrs.length; i += 1000) {
    await producer.send(
      topic,
      cdrs.slice(i, i + 1000).map((c) => ({ key: c.accountId, value: JSON.stringify(c) })),
    );
  }
}

function expectedDebits(cdrs: UsageCdrWire[]): Map<string, bigint> {
  const total = new Map<string, bigint>();
  for (const c of cdrs) total.set(c.accountId, (total.get(c.accountId) ?? 0n) + BigInt(c.amount));
  return total;
}

async function ledgerOf(accountIds: string[]) {
  const rows = await deps.db.pool.query<{ account_id: string; n: number; total: string; refs: number }>(
    `SELECT account_id, count(*)::int AS n, sum(amount)::text AS total, count(DISTINCT reference)::int AS refs
     FROM ledger_entries WHERE account_id = ANY($1::text[]) AND type = 'CHARGE' GROUP BY account_id`,
    [accountIds],
  );
  return new Map(rows.rows.map((r) => [r.account_id, { n: r.n, total: BigInt(r.total), refs: r.refs }]));
}

async function chargeCount(accountIds: string[]): Promise<number> {
  const { rows } = await deps.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM ledger_entries WHERE account_id = ANY($1::text[]) AND type = 'CHARGE'",
    [accountIds],
  );
  return rows[0]!.n;
}

/** Ledger, balances and the Redis snapshots agree exactly with the CDRs. */
async function expectChargedOnce(accounts: TestAccount[], cdrs: UsageCdrWire[]) {
  const debits = expectedDebits(cdrs);
  const perAccount = new Map<string, number>();
  for (const c of cdrs) perAccount.set(c.accountId, (perAccount.get(c.accountId) ?? 0) + 1);
  const ledger = await ledgerOf(accounts.map((a) => a.id));
  const rows = await deps.db.prisma.account.findMany({ where: { id: { in: accounts.map((a) => a.id) } } });
  const balances = new Map(rows.map((a) => [a.id, a.balance]));
  const settled = await deps.redis.mget(accounts.map((a) => settledKey(a.id)));
  accounts.forEach((a, i) => {
    const debit = debits.get(a.id) ?? 0n;
    expect(ledger.get(a.id)?.n ?? 0, `CHARGE rows of ${a.id}`).toBe(perAccount.get(a.id) ?? 0);
    expect(ledger.get(a.id)?.refs ?? 0, `references of ${a.id}`).toBe(perAccount.get(a.id) ?? 0);
    expect(ledger.get(a.id)?.total ?? 0n, `ledger sum of ${a.id}`).toBe(-debit);
    expect(balances.get(a.id), `balance of ${a.id}`).toBe(a.opening - debit);
    if (debit > 0n) expect(settled[i], `settled snapshot of ${a.id}`).toBe((a.opening - debit).toString());
  });
}

describe("debits", () => {
  it("debits every account of a page in one batch, batch after batch, as heap-only updates", async () => {
    expect((await indexesAndOptions(deps.db.pool, "accounts")).options).toContain("fillfactor=50");
    const client = await createTestClient(deps.api, { balance: 0n });
    // Inserted together, as a bench or a big migration would: they share pages, and a batch updates each page's every row.
    const { rows } = await deps.db.pool.query<{ id: string }>(
      `INSERT INTO accounts (id, client_id, currency, balance, updated_at)
       SELECT $1 || '-' || i, $2, 'USD', 1000, now() FROM generate_series(1, 120) i RETURNING id`,
      [`hot-${client.id}`, client.id],
    );
    const accounts: TestAccount[] = rows.map((r) => ({ id: r.id, clientId: client.id, opening: 1000n }));
    const cdrs: UsageCdrWire[] = [];
    try {
      const hotBefore = await hotUpdatesOf(deps.db.pool, "accounts");
      for (const round of [1, 2, 3]) {
        const batch = accounts.map((a, i) => cdr(a, `hot-${a.id}-${round}`, BigInt(1 + (i % 4)), round));
        cdrs.push(...batch);
        const result = await deductBatch(
          deps.db,
          batch.map((c) => usageCdrV1.parse(c)),
        );
        expect(result.applied).toHaveLength(accounts.length);
        await refreshSettled(deps.redis, result.accounts);
      }
      await expectChargedOnce(accounts, cdrs);
      // Statistics reach pg_stat_user_tables when the writing connection goes idle (within seconds); other tests'
      // updates can only add to the count. Nearly all of these 360 updates
      // find room on their page; none would with an index on a column a debit changes (balance, updated_at).
      const hot = await waitFor(
        async () => (await hotUpdatesOf(deps.db.pool, "accounts")) - hotBefore,
        (n) => n >= 330,
        { timeoutMs: 30_000, what: "HOT updates of accounts" },
      );
      expect(hot).toBeGreaterThanOrEqual(330);
    } finally {
      await deps.db.pool.query("DELETE FROM ledger_entries WHERE account_id = ANY($1::text[])", [
        rows.map((r) => r.id),
      ]);
      await deps.db.pool.query("DELETE FROM accounts WHERE id = ANY($1::text[])", [rows.map((r) => r.id)]);
    }
  });
});

describe("prepaid-manager in process", () => {
  const group = () => `${deps.env.KAFKA_TOPIC_PREFIX}prepaid-manager`;
  const low = () => deps.env.KAFKA_TOPIC_PREFIX + TOPICS.usageCdrLow.name;
  const high = () => deps.env.KAFKA_TOPIC_PREFIX + TOPICS.usageCdrHigh.name;
  let service: StartedWorker;
  let accounts: TestAccount[];
  let cdrs: UsageCdrWire[];

  beforeAll(async () => {
    service = await startDeductionService(deps);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("debits each account by the sum of its CDRs, on both lanes, exactly (amounts past 2^53 included)", async () => {
    // The last account is debited amounts a double cannot hold: nothing may pass through a JS number.
    accounts = await createAccounts(5, (i) => (i === 4 ? 9_000_000_000_000_000_000n : 100_000n + BigInt(i)));
    cdrs = [];
    for (let k = 0; k < 600; k++) {
      const account = accounts[k % accounts.length]!;
      const unitPrice = account === accounts[4] ? 9_007_199_254_740_993n : BigInt(1 + (k % 7));
      cdrs.push(cdr(account, `cdr-${account.id}-${k}`, unitPrice, 1 + (k % 3)));
    }
    // Authentication traffic on the high lane, the rest on the low one, for the same accounts.
    await produce(
      low(),
      cdrs.filter((_, k) => k % 4 !== 0),
    );
    await produce(
      high(),
      cdrs.filter((_, k) => k % 4 === 0),
    );

    await waitFor(
      () => chargeCount(accounts.map((a) => a.id)),
      (n) => n === cdrs.length,
      { what: "every CDR to be charged" },
    );
    await waitForGroupCaughtUp(deps.kafka, group(), low());
    await waitForGroupCaughtUp(deps.kafka, group(), high());
    await expectChargedOnce(accounts, cdrs);
  });

  it("charges CDRs produced twice (and duplicated within a batch) once", async () => {
    // Both lanes again, and each CDR twice in a row so that copies share a batch.
    await produce(
      low(),
      cdrs.flatMap((c) => [c, c]),
    );
    await produce(high(), cdrs.slice(0, 100));
    await waitForGroupCaughtUp(deps.kafka, group(), low());
    await waitForGroupCaughtUp(deps.kafka, group(), high());
    await expectChargedOnce(accounts, cdrs);
  });

  it("dead-letters CDRs it can never charge and keeps debiting the rest", async () => {
    const [account] = await createAccounts(1, () => 1_000n);
    const good = cdr(account!, `cdr-good-${account!.id}`, 5n, 2);
    const unknown = { ...cdr(account!, `cdr-unknown-${account!.id}`, 5n, 1), accountId: `missing-${account!.id}` };
    const euro = { ...cdr(account!, `cdr-eur-${account!.id}`, 5n, 1), currency: "EUR" };
    const negative = { ...cdr(account!, `cdr-neg-${account!.id}`, 5n, 1), unitPrice: "-5", amount: "-5" };
    await produce(low(), [unknown, euro, negative, good]);

    const dead = await readTopic(deps.kafka, deps.env.KAFKA_TOPIC_PREFIX + TOPICS.usageCdrLow.dlq, (rs) =>
      [unknown, euro, negative].every((c) => rs.some((r) => r.value.includes(c.cdrId))),
    );
    const errors = Object.fromEntries(
      dead
        .filter((r) => r.value.includes(account!.id))
        .map((r) => [JSON.parse(r.value).cdrId as string, r.headers[DLQ_HEADERS.error]]),
    );
    expect(errors[unknown.cdrId]).toMatch(/unknown account/);
    expect(errors[euro.cdrId]).toMatch(/bills in USD, not EUR/);
    expect(errors[negative.cdrId]).toMatch(/negative amount/);
    await waitForGroupCaughtUp(deps.kafka, group(), low());
    await expectChargedOnce([account!], [good]);
  });
  it("reads CDRs packed per partition (v2): charges each once, dead-letters a bad one alone, keeps each account on its partition", async () => {
    const accounts = await createAccounts(4, () => 10_000n);
    const at = new Date().toISOString();
    const packed = (c: UsageCdrWire): PackedCdrWire => {
      const { v: _v, at: _at, ...fields } = c;
      return fields;
    };
    const good = accounts.flatMap((a) =>
      Array.from({ length: 25 }, (_, k) => cdr(a, `v2-${a.id}-${k}`, 3n, 1 + (k % 2))),
    );
    const unknown = {
      ...cdr(accounts[0]!, `v2-unknown-${accounts[0]!.id}`, 3n, 1),
      accountId: `missing-${accounts[0]!.id}`,
    };
    const invalid = { ...cdr(accounts[1]!, `v2-invalid-${accounts[1]!.id}`, 3n, 1), segments: 0 };
    const items = [...good, unknown, invalid].map(packed);
    // Small records (7 CDRs at most), so that the CDRs of one partition span several records.
    const packing = { ...cdrPacking(at), maxPerRecord: 7 };
    await deps.producer.sendPacked(low(), packing, items);
    // The same CDRs again, packed again (a gate batch replayed), and one of each account as v1 records.
    await deps.producer.sendPacked(low(), packing, items);
    await produce(
      low(),
      accounts.map((a) => good.find((c) => c.accountId === a.id)!),
    );

    await waitFor(
      () => chargeCount(accounts.map((a) => a.id)),
      (n) => n === good.length,
      { what: "every good CDR of the packed records to be charged" },
    );
    await waitForGroupCaughtUp(deps.kafka, group(), low());
    await expectChargedOnce(
      accounts,
      good.map((c) => ({ ...c, at })),
    );

    // The two bad CDRs went to the dead letters alone, as v1 records keyed by their account; their
    // records' other CDRs were charged (above).
    const dead = await readTopic(deps.kafka, deps.env.KAFKA_TOPIC_PREFIX + TOPICS.usageCdrLow.dlq, (rs) =>
      [unknown, invalid].every((c) => rs.some((r) => r.value.includes(c.cdrId))),
    );
    const letters = dead.filter((r) => [unknown.cdrId, invalid.cdrId].some((id) => r.value.includes(id)));
    for (const letter of letters) {
      const json = JSON.parse(letter.value) as UsageCdrWire;
      expect(json).toMatchObject({ v: 1, at });
      expect(letter.key).toBe(json.accountId);
    }
    const errorOf = (id: string) => letters.find((r) => r.value.includes(id))!.headers[DLQ_HEADERS.error];
    expect(errorOf(unknown.cdrId)).toBe(`unknown account ${unknown.accountId}`);
    expect(errorOf(invalid.cdrId)).toMatch(/^schema: segments: /);
    // Fixed by hand, the invalid one replays as the v1 record it is.
    const invalidLetter = JSON.parse(letters.find((r) => r.value.includes(invalid.cdrId))!.value) as UsageCdrWire;
    expect(usageCdrV1.safeParse({ ...invalidLetter, segments: 1 }).success).toBe(true);

    // Every record holding an account's CDRs, packed or not, is on the partition its key hashes to.
    const onTopic = await readTopic(
      deps.kafka,
      low(),
      // Both sends of every valid CDR (the invalid one is no CDR), and the v1 ones.
      (rs) =>
        cdrsOnTopic(rs).filter((c) => c.cdrId.startsWith("v2-")).length >= (items.length - 1) * 2 + accounts.length,
    );
    const partitionsOf = new Map<string, Set<number>>();
    for (const record of onTopic) {
      for (const c of cdrsOnTopic([record])) {
        if (!c.cdrId.startsWith("v2-")) continue;
        partitionsOf.set(c.accountId, (partitionsOf.get(c.accountId) ?? new Set()).add(record.partition));
      }
    }
    for (const a of accounts) expect([...partitionsOf.get(a.id)!], `partitions of ${a.id}`).toHaveLength(1);
  });
});

describe("ledger rows and their accounts", () => {
  // The ledger has no row-level foreign key (too costly per charge); triggers keep the same rule.
  it("refuses a ledger row for an unknown account, and keeps an account that has ledger rows", async () => {
    const [account] = await createAccounts(1, () => 100n);
    const insert = (accountId: string, reference: string) =>
      deps.db.pool.query(
        `INSERT INTO ledger_entries (account_id, type, amount, reference)
         VALUES ($1, 'TOPUP', 1, $2), ($3, 'TOPUP', 1, $4)`,
        [account!.id, `${reference}-ok`, accountId, reference],
      );
    await expect(insert(`missing-${account!.id}`, `ref-missing-${account!.id}`)).rejects.toMatchObject({
      code: "23503",
      message: `ledger entry for unknown account missing-${account!.id}`,
    });
    // The whole statement failed: not even the row of the existing account is there.
    expect(await deps.db.prisma.ledgerEntry.count({ where: { accountId: account!.id } })).toBe(0);
    await insert(account!.id, `ref-known-${account!.id}`);
    expect(await deps.db.prisma.ledgerEntry.count({ where: { accountId: account!.id } })).toBe(2);

    await expect(deps.db.pool.query("DELETE FROM accounts WHERE id = $1", [account!.id])).rejects.toMatchObject({
      code: "23503",
    });
    await expect(
      deps.db.pool.query("UPDATE accounts SET id = $2 WHERE id = $1", [account!.id, `renamed-${account!.id}`]),
    ).rejects.toMatchObject({ code: "23503" });
    expect(await deps.db.prisma.account.count({ where: { id: account!.id } })).toBe(1);
  });
});

describe("deductBatch and accounts that go away", () => {
  it("refuses CDRs of an account deleted after its currency was looked up", async () => {
    const [account] = await createAccounts(1, () => 1_000n);
    const euro = usageCdrV1.parse({ ...cdr(account!, `cdr-eur-${account!.id}`, 5n, 1), currency: "EUR" });
    const first = await deductBatch(deps.db, [euro]);
    expect(first.refused.map((r) => r.reason)).toEqual([`account ${account!.id} bills in USD, not EUR`]);
    // No ledger rows (its only CDR was refused), so the account can go.
    await deps.db.pool.query("DELETE FROM accounts WHERE id = $1", [account!.id]);

    const usd = usageCdrV1.parse(cdr(account!, `cdr-usd-${account!.id}`, 5n, 1));
    // The currency was known to this process: the ledger's account check refuses the batch, the retry looks again.
    await expect(deductBatch(deps.db, [usd])).rejects.toMatchObject({ code: "23503" });
    const retried = await deductBatch(deps.db, [usd]);
    expect(retried.refused.map((r) => r.reason)).toEqual([`unknown account ${account!.id}`]);
    expect(retried.applied).toEqual([]);
    expect(await deps.db.prisma.ledgerEntry.count({ where: { accountId: account!.id } })).toBe(0);
  });
});

describe("prepaid-manager process killed mid-run", () => {
  it("after SIGKILL and a restart, charges every CDR exactly once", { timeout: 180_000 }, async () => {
    // Its own topics and group (under this run's prefix, so they are removed at the end).
    const prefix = `${deps.env.KAFKA_TOPIC_PREFIX}crash-`;
    const config = { ...kafkaConfig(deps.env), topicPrefix: prefix };
    const kafka = createKafka(config, deps.log);
    await ensureTopics(kafka, config);
    const producer = await createProducer(kafka);
    let worker: ChildProcess | undefined;
    const startWorker = () =>
      spawn(process.execPath, ["--import", "tsx", "workers/prepaid-manager.ts"], {
        env: {
          ...process.env,
          KAFKA_TOPIC_PREFIX: prefix,
          DEDUCTION_BATCH_SIZE: "50",
          DEDUCTION_CONCURRENCY: "1",
          HEALTH_PORT: "0",
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
    try {
      const accounts = await createAccounts(20, (i) => 1_000_000n + BigInt(i));
      const ids = accounts.map((a) => a.id);
      const cdrs = Array.from({ length: 5_000 }, (_, k) => {
        const account = accounts[k % accounts.length]!;
        return cdr(account, `crash-${account.id}-${k}`, BigInt(1 + (k % 5)), 1 + (k % 4));
      });
      await produce(prefix + TOPICS.usageCdrLow.name, cdrs, producer);

      worker = startWorker();
      const atKill = await waitFor(
        () => chargeCount(ids),
        (n) => n >= 250,
        { what: "the worker to be partway through", intervalMs: 10, timeoutMs: 60_000 },
      );
      worker.kill("SIGKILL");
      await once(worker, "exit");
      const afterKill = await chargeCount(ids);
      expect(atKill).toBeGreaterThan(0);
      expect(afterKill, "the worker was killed before it had charged everything").toBeLessThan(cdrs.length);

      worker = startWorker();
      await waitFor(
        () => chargeCount(ids),
        (n) => n >= cdrs.length,
        { what: "the restarted worker to charge the rest", timeoutMs: 120_000 },
      );
      await waitForGroupCaughtUp(kafka, `${prefix}prepaid-manager`, prefix + TOPICS.usageCdrLow.name, 60_000);
      await expectChargedOnce(accounts, cdrs);
    } finally {
      if (worker && worker.exitCode === null && worker.signalCode === null) {
        worker.kill("SIGTERM");
        await once(worker, "exit");
      }
      await producer.disconnect();
    }
  });
});
