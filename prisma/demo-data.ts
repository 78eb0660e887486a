import type { BillingType, ClientStatus, OperatorRole, PrismaClient } from "@prisma/client";
import { displayPrefix, hashApiKey } from "../server/client-api/keys";

export const DEMO_PASSWORD = "volley-demo";

export const DEMO_OPERATORS: { email: string; name: string; role: OperatorRole }[] = [
  { email: "admin@volley.local", name: "Ada Admin", role: "ADMIN" },
  { email: "operator@volley.local", name: "Oscar Operator", role: "OPERATOR" },
  { email: "viewer@volley.local", name: "Vera Viewer", role: "VIEWER" },
];

type DemoClient = {
  name: string;
  billingType: BillingType;
  status?: ClientStatus;
  defaultCountry: string;
  balance: bigint;
  creditLimit?: bigint;
  senderIds: string[];
  /** Sent back to STOP, START and HELP replies (see the README's Replies and STOP). */
  answers?: { stop: string; start: string; help: string };
};

// Money in minor units (cents).
export const DEMO_CLIENTS: DemoClient[] = [
  {
    name: "Acme Retail",
    billingType: "PREPAID",
    defaultCountry: "GB",
    balance: 500_000n,
    senderIds: ["ACME", "ACMESHOP"],
    answers: {
      stop: "Acme Retail: you will get no more messages from us. Reply START to resubscribe.",
      start: "Acme Retail: you are subscribed again. Reply STOP to opt out.",
      help: "Acme Retail: help at acme.example/sms. Reply STOP to opt out.",
    },
  },
  { name: "Initech Auth", billingType: "PREPAID", defaultCountry: "US", balance: 25_000n, senderIds: ["INITECH"] },
  {
    name: "Globex Bank",
    billingType: "POSTPAID",
    defaultCountry: "DE",
    balance: 0n,
    creditLimit: 1_000_000n,
    senderIds: ["GLOBEX"],
  },
  {
    name: "Umbrella Travel",
    billingType: "PREPAID",
    status: "SUSPENDED",
    defaultCountry: "FR",
    balance: 1_000n,
    senderIds: ["UMBRELLA"],
  },
];

/**
 * A client API key for Acme Retail with a published value, like the demo passwords: a new install can call the API at
 * once (README, Client API). Seeded once; an operator who revokes it keeps it revoked.
 */
export const DEMO_API_KEY = "vk_demo_acme_retail_not_for_production_use_000";

/** Where the demo's SMSC simulator listens (env SMSC_*), so `npm start` delivers demo campaigns. */
export type DemoSmsc = { host: string; port: number; systemId: string; password: string };

const DEFAULT_SMSC: DemoSmsc = { host: "127.0.0.1", port: 2775, systemId: "volley", password: "volley-smsc" };

// One SMPP provider (the simulator) and a catch-all routing rule to it. The provider is
// upserted by name without overwriting an operator's edits; the rule is created only if none routes everything there.
async function seedDemoDelivery(prisma: PrismaClient, smsc: DemoSmsc) {
  const provider = await prisma.provider.upsert({
    where: { name: "SMSC simulator" },
    update: {},
    create: {
      name: "SMSC simulator",
      kind: "SMPP",
      maxTps: 0,
      settings: {
        ...smsc,
        systemType: "",
        binds: 2,
        windowSize: 50,
        enquireLinkIntervalMs: 30_000,
        useMessagePayload: false,
      },
    },
  });
  const rule = await prisma.routingRule.findFirst({
    where: { clientId: null, prefix: "", category: null, providerIds: { has: provider.id } },
  });
  if (!rule) await prisma.routingRule.create({ data: { prefix: "", providerIds: [provider.id], position: 100 } });
}

export async function seedDemoData(
  prisma: PrismaClient,
  hash: (pw: string) => Promise<string>,
  smsc: DemoSmsc = DEFAULT_SMSC,
) {
  const passwordHash = await hash(DEMO_PASSWORD);
  for (const op of DEMO_OPERATORS) {
    await prisma.operator.upsert({ where: { email: op.email }, update: {}, create: { ...op, passwordHash } });
  }
  const plan = await prisma.ratePlan.upsert({
    where: { name: "Standard" },
    update: {},
    create: {
      name: "Standard",
      currency: "USD",
      defaultPricePerSegment: 2n,
      prices: {
        create: [
          { prefix: "+44", pricePerSegment: 3n },
          { prefix: "+1", pricePerSegment: 1n },
          { prefix: "+49", category: "AUTHENTICATION", pricePerSegment: 4n },
        ],
      },
    },
  });
  for (const c of DEMO_CLIENTS) {
    const existing = await prisma.client.findUnique({ where: { name: c.name } });
    if (existing) continue;
    // One transaction, as the nested create it replaces: a client is seeded with its opening ledger entry or not at all.
    await prisma.$transaction(async (tx) => {
      const client = await tx.client.create({
        data: {
          name: c.name,
          billingType: c.billingType,
          status: c.status ?? "ACTIVE",
          defaultCountry: c.defaultCountry,
          creditLimit: c.creditLimit ?? 0n,
          ratePlanId: plan.id,
          stopAnswer: c.answers?.stop ?? null,
          startAnswer: c.answers?.start ?? null,
          helpAnswer: c.answers?.help ?? null,
          accounts: { create: [{ balance: c.balance, lowBalanceThreshold: 10_000n }] },
          senderIds: { create: c.senderIds.map((value) => ({ value })) },
        },
        include: { accounts: true },
      });
      // The opening balance is a ledger entry too: ledger sum = balance.
      if (c.balance > 0n) {
        await tx.ledgerEntry.create({
          data: {
            accountId: client.accounts[0]!.id,
            type: "TOPUP",
            amount: c.balance,
            reference: `seed:${c.name}`,
            reason: "Demo opening balance",
          },
        });
      }
    });
  }
  const acme = await prisma.client.findUniqueOrThrow({ where: { name: "Acme Retail" }, select: { id: true } });
  await prisma.apiKey.upsert({
    where: { prefix: displayPrefix(DEMO_API_KEY) },
    update: {},
    create: {
      clientId: acme.id,
      name: "Demo key (seeded)",
      prefix: displayPrefix(DEMO_API_KEY),
      keyHash: hashApiKey(DEMO_API_KEY),
    },
  });
  await seedDemoInvoice(prisma);
  await seedDemoDelivery(prisma, smsc);
  return { operators: DEMO_OPERATORS.length, clients: DEMO_CLIENTS.length };
}

// Globex Bank's October 2026 usage, already invoiced, so the Invoices page has
// something to show. Rated with the Standard plan (price per segment); a
// refund is a negative row. Lines are aggregated from the rows the same way
// server/invoices/service.ts does, and the rows carry the invoice, so unbilled
// usage stays what it was.
const DEMO_INVOICE_PERIOD = {
  periodStart: new Date("2026-10-01T00:00:00.000Z"),
  periodEnd: new Date("2026-11-01T00:00:00.000Z"),
};
const DEMO_USAGE: {
  category: "MARKETING" | "AUTHENTICATION" | "AGENT_FLOW";
  destination: string;
  segments: number;
  price: bigint;
  count: number;
}[] = [
  { category: "MARKETING", destination: "DE", segments: 1, price: 2n, count: 40 },
  { category: "MARKETING", destination: "DE", segments: 2, price: 2n, count: 8 },
  { category: "AUTHENTICATION", destination: "DE", segments: 1, price: 4n, count: 25 },
  { category: "MARKETING", destination: "GB", segments: 1, price: 3n, count: 12 },
  { category: "AGENT_FLOW", destination: "US", segments: 1, price: 1n, count: 5 },
];

async function seedDemoInvoice(prisma: PrismaClient) {
  const account = await prisma.account.findFirst({ where: { client: { name: "Globex Bank" } } });
  if (!account) return;
  const existing = await prisma.invoice.findUnique({
    where: { accountId_periodStart: { accountId: account.id, periodStart: DEMO_INVOICE_PERIOD.periodStart } },
  });
  if (existing) return;
  const rows = DEMO_USAGE.flatMap((u, k) =>
    Array.from({ length: u.count }, (_, i) => ({
      messageId: `demo-globex-${k}-${i}`,
      category: u.category,
      destination: u.destination,
      segments: u.segments,
      amount: u.price * BigInt(u.segments),
      usedAt: new Date(Date.UTC(2026, 9, 1 + ((k * 7 + i) % 31), 9 + (i % 10))),
      isRefund: false,
    })),
  );
  // One marketing message to Germany failed and was refunded.
  rows.push({ ...rows[0]!, segments: -rows[0]!.segments, amount: -rows[0]!.amount, isRefund: true });
  const lines = new Map<
    string,
    {
      category: (typeof rows)[number]["category"];
      destination: string;
      messages: number;
      segments: number;
      amount: bigint;
    }
  >();
  for (const r of rows) {
    const key = `${r.category}/${r.destination}`;
    const line = lines.get(key) ?? {
      category: r.category,
      destination: r.destination,
      messages: 0,
      segments: 0,
      amount: 0n,
    };
    line.messages += r.amount > 0n ? 1 : 0;
    line.segments += r.segments;
    line.amount += r.amount;
    lines.set(key, line);
  }
  const all = [...lines.values()];
  await prisma.$transaction(async (tx) => {
    const invoice = await tx.invoice.create({
      data: {
        clientId: account.clientId,
        accountId: account.id,
        ...DEMO_INVOICE_PERIOD,
        currency: account.currency,
        total: all.reduce((s, l) => s + l.amount, 0n),
        messageCount: all.reduce((s, l) => s + l.messages, 0),
        segmentCount: all.reduce((s, l) => s + l.segments, 0),
        lines: { create: all },
      },
    });
    await tx.usageRecord.createMany({
      data: rows.map(({ isRefund, ...r }) => ({
        ...r,
        accountId: account.id,
        clientId: account.clientId,
        reference: `${isRefund ? "refund" : "cdr"}:${r.messageId}`,
        currency: account.currency,
        invoiceId: invoice.id,
      })),
    });
  });
}
