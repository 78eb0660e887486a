import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, createTestClient, createTestDeps, startStages, waitFor } from "./helpers";

// What operators change in the console reaches the running validator:
// cached client profiles are dropped on edit, opt-outs are mirrored to Redis
// and rebuilt if Redis loses them.

let deps: Awaited<ReturnType<typeof createTestDeps>>;
let stages: { stop(): Promise<void> };

beforeAll(async () => {
  deps = await createTestDeps();
  stages = await startStages(deps);
});

afterAll(async () => {
  await stages?.stop();
  await deps?.close();
});

async function runCampaign(clientId: string, text: string, senderId = "TESTCO") {
  const caller = await callerAs(deps.api, "OPERATOR");
  const campaign = await caller.campaigns.create({
    clientId,
    name: "edit test",
    senderId,
    template: "Hello",
    recipients: { kind: "paste", text },
  });
  await caller.campaigns.launch({ id: campaign.id });
  const count = text.split("\n").length;
  await waitFor(
    () => caller.campaigns.get({ id: campaign.id }),
    (c) => c.processed === count,
    // Launcher, validator and status writer.
    { what: `${count} statuses`, timeoutMs: 60_000 },
  );
  const rows = await deps.db.prisma.message.findMany({ where: { campaignId: campaign.id }, orderBy: { id: "asc" } });
  return rows.map((r) => `${r.recipient} ${r.status}${r.statusReason ? ` ${r.statusReason}` : ""}`);
}

describe("operator edits", () => {
  it("suspending a client or removing a sender ID takes effect on the next messages", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    expect(await runCampaign(client.id, "+447911123701")).toEqual(["+447911123701 ACCEPTED"]);

    await operator.clients.update({ id: client.id, status: "SUSPENDED" });
    expect(await runCampaign(client.id, "+447911123702")).toEqual(["+447911123702 REJECTED CLIENT_SUSPENDED"]);

    await operator.clients.update({ id: client.id, status: "ACTIVE" });
    await operator.clients.addSenderId({ clientId: client.id, value: "NEWSENDER" });
    expect(await runCampaign(client.id, "+447911123703", "NEWSENDER")).toEqual(["+447911123703 ACCEPTED"]);
    await operator.clients.removeSenderId({ clientId: client.id, value: "NEWSENDER" });
    expect(await runCampaign(client.id, "+447911123704", "NEWSENDER")).toEqual([
      "+447911123704 REJECTED SENDER_NOT_ALLOWED",
    ]);

    const audit = await deps.db.prisma.auditEntry.findMany({ where: { target: client.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["client.update", "client.update", "sender-id.add", "sender-id.remove"]);
    await expect(
      (await callerAs(deps.api, "VIEWER")).clients.update({ id: client.id, status: "SUSPENDED" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("opt-outs added in the console are enforced, even after Redis loses them", async () => {
    const client = await createTestClient(deps.api);
    const operator = await callerAs(deps.api, "OPERATOR");
    await operator.optOuts.add({ msisdn: "+44 7911 123801", clientId: client.id });
    await operator.optOuts.add({ msisdn: "447911123802", clientId: null });
    const listed = await operator.optOuts.list({ clientId: client.id });
    expect(listed.items.map((o) => o.msisdn)).toEqual(["+447911123801"]);
    // One number, found as people write it, in whichever scope it is.
    const found = await operator.optOuts.list({ msisdn: "0044 7911 123-802" });
    expect(found.items.map((o) => [o.msisdn, o.scope, o.source])).toContainEqual([
      "+447911123802",
      "global",
      "OPERATOR",
    ]);
    expect(found.items.every((o) => o.msisdn === "+447911123802")).toBe(true);
    expect((await operator.optOuts.list({ clientId: client.id, msisdn: "+447911123802" })).items).toEqual([]);

    // Redis loses the opt-out sets (restart without persistence, FLUSHALL…).
    const keys = await deps.redis.keys("optout:*");
    if (keys.length > 0) await deps.redis.del(...keys);

    expect(await runCampaign(client.id, "+447911123801\n+447911123802\n+447911123803")).toEqual([
      "+447911123801 REJECTED OPTED_OUT",
      "+447911123802 REJECTED OPTED_OUT",
      "+447911123803 ACCEPTED",
    ]);

    await operator.optOuts.remove({ msisdn: "+447911123801", clientId: client.id });
    await operator.optOuts.remove({ msisdn: "+447911123802", clientId: null });
    expect(await runCampaign(client.id, "+447911123801\n+447911123802")).toEqual([
      "+447911123801 ACCEPTED",
      "+447911123802 ACCEPTED",
    ]);
    await expect(operator.optOuts.add({ msisdn: "12", clientId: null })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
