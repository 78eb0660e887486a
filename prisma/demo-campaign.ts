import { Readable } from "node:stream";
import type { CampaignDeps } from "../server/campaigns/service";
import { createCampaign, launchCampaign } from "../server/campaigns/service";
import { createUploadFromStream } from "../server/uploads/service";

// A campaign that `npm start` launches on a new checkout, so the console has something live to show: it goes through
// the whole pipeline (validation, prepaid billing, the SMSC simulator, receipts, refunds) at a rate slow enough to
// watch. Recipients are UK mobiles +44 7400 900000–900998 (only ever sent to the simulator, the demo's one provider;
// Ofcom's drama range, 07700 900xxx, is not a valid mobile number to libphonenumber). The simulator ends numbers in
// 0001–0004 with a failure (server/smsc/outcomes.ts), so the campaign shows undelivered, expired and rejected
// messages and their refunds; one number is too short and is rejected by validation.

export const DEMO_CAMPAIGN = {
  clientName: "Acme Retail",
  name: "Winter sale (demo)",
  senderId: "ACMESHOP",
  template: "Hi {{name}}, our winter sale starts today: 20% off everything until Sunday. Reply STOP to opt out.",
  recipients: 1_000,
  ratePerSecond: 5,
};

const FIRST_NAMES = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Grace", "Leo"];

function demoRecipientsCsv(count: number): string {
  const rows = ["phone,name"];
  for (let i = 0; i < count - 1; i++) {
    rows.push(`+447400900${String(i).padStart(3, "0")},${FIRST_NAMES[i % FIRST_NAMES.length]}`);
  }
  rows.push("+44740090,Tom");
  return rows.join("\n") + "\n";
}

/**
 * Creates and launches the demo campaign for `clientName` unless it has one already (the seed runs at every start).
 * Returns the new campaign's id, or null when there was nothing to do.
 */
export async function seedDemoCampaign(
  deps: CampaignDeps & { uploadMaxBytes: number },
  clientName = DEMO_CAMPAIGN.clientName,
): Promise<string | null> {
  const client = await deps.db.prisma.client.findUnique({ where: { name: clientName }, select: { id: true } });
  if (!client) return null;
  const existing = await deps.db.prisma.campaign.findFirst({
    where: { clientId: client.id, name: DEMO_CAMPAIGN.name },
    select: { id: true },
  });
  if (existing) return null;
  const upload = await createUploadFromStream(
    deps.db,
    Readable.from([Buffer.from(demoRecipientsCsv(DEMO_CAMPAIGN.recipients), "utf8")]),
    { fileName: "winter-sale-demo.csv", maxBytes: deps.uploadMaxBytes, operatorId: null },
  );
  const campaign = await createCampaign(
    deps,
    {
      clientId: client.id,
      name: DEMO_CAMPAIGN.name,
      senderId: DEMO_CAMPAIGN.senderId,
      template: DEMO_CAMPAIGN.template,
      category: "MARKETING",
      recipients: { kind: "upload", uploadId: upload.id },
      allowDefer: true,
      rateLimitPerSecond: DEMO_CAMPAIGN.ratePerSecond,
      scheduledAt: null,
    },
    null,
  );
  await launchCampaign(deps, campaign.id);
  return campaign.id;
}
