import type { BillingType, ClientStatus, OperatorRole, PrismaClient } from "@prisma/client";

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
};

// Money in minor units (cents).
export const DEMO_CLIENTS: DemoClient[] = [
  {
    name: "Acme Retail",
    billingType: "PREPAID",
    defaultCountry: "GB",
    balance: 500_000n,
    senderIds: ["ACME", "ACMESHOP"],
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

export async function seedDemoData(prisma: PrismaClient, hash: (pw: string) => Promise<string>) {
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
    await prisma.client.create({
      data: {
        name: c.name,
        billingType: c.billingType,
        status: c.status ?? "ACTIVE",
        defaultCountry: c.defaultCountry,
        creditLimit: c.creditLimit ?? 0n,
        ratePlanId: plan.id,
        accounts: {
          create: [
            {
              balance: c.balance,
              lowBalanceThreshold: 10_000n,
              // The opening balance is a ledger entry too: ledger sum = balance.
              ledgerEntries:
                c.balance > 0n
                  ? {
                      create: [
                        {
                          type: "TOPUP",
                          amount: c.balance,
                          reference: `seed:${c.name}`,
                          reason: "Demo opening balance",
                        },
                      ],
                    }
                  : undefined,
            },
          ],
        },
        senderIds: { create: c.senderIds.map((value) => ({ value })) },
      },
    });
  }
  return { operators: DEMO_OPERATORS.length, clients: DEMO_CLIENTS.length };
}
