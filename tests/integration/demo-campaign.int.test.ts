import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelCampaign } from "@/server/campaigns/service";
import { readUploadRows } from "@/server/uploads/service";
import { normalizeRecipient } from "@/server/validation/phone";
import { DEMO_CAMPAIGN, seedDemoCampaign } from "@/prisma/demo-campaign";
import { createTestClient, createTestDeps } from "./helpers";

// The campaign `npm start` launches on a new checkout (prisma/demo-campaign.ts), against the real Postgres and Redis:
// launched once, whatever number of starts, with recipients that the validator takes and the simulator fails
// exactly where the demo says.

let deps: Awaited<ReturnType<typeof createTestDeps>>;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps?.close();
});

describe("demo campaign", () => {
  it("is created and launched once, with a recipient list that shows every outcome", async () => {
    const client = await createTestClient(deps.api);
    await deps.db.prisma.senderId.create({ data: { clientId: client.id, value: DEMO_CAMPAIGN.senderId } });
    const campaignDeps = { db: deps.db, redis: deps.redis, env: deps.env, uploadMaxBytes: deps.env.UPLOAD_MAX_BYTES };

    const id = await seedDemoCampaign(campaignDeps, client.name);
    expect(id).not.toBeNull();
    // The seed runs at every start: the second finds the campaign and does nothing.
    expect(await seedDemoCampaign(campaignDeps, client.name)).toBeNull();
    expect(await seedDemoCampaign(campaignDeps, `no-such-client-${client.id}`)).toBeNull();

    const campaigns = await deps.db.prisma.campaign.findMany({ where: { clientId: client.id } });
    expect(campaigns).toHaveLength(1);
    const campaign = campaigns[0]!;
    expect(campaign).toMatchObject({
      id,
      name: DEMO_CAMPAIGN.name,
      status: "RUNNING",
      senderId: DEMO_CAMPAIGN.senderId,
      category: "MARKETING",
      recipientCount: DEMO_CAMPAIGN.recipients,
      rateLimitPerSecond: DEMO_CAMPAIGN.ratePerSecond,
    });
    expect(campaign.startedAt).not.toBeNull();

    const phones: string[] = [];
    for await (const row of readUploadRows(deps.db.pool, campaign.uploadId!)) {
      phones.push(row.phone);
      expect(row.variables.name).toMatch(/^[A-Z][a-z]+$/);
    }
    expect(phones).toHaveLength(DEMO_CAMPAIGN.recipients);
    const invalid = phones.filter((p) => !normalizeRecipient(p, "GB").ok);
    expect(invalid).toEqual(["+44740090"]);
    // The simulator's deterministic failures (server/smsc/outcomes.ts): undelivered, expired, refused, rejected.
    for (const suffix of ["0001", "0002", "0003", "0004"]) {
      expect(phones.filter((p) => p.endsWith(suffix))).toHaveLength(1);
    }

    // No campaign of this test is left running for the next file's launcher.
    await cancelCampaign({ db: deps.db, redis: deps.redis, env: deps.env }, id!);
  });
});
