import { expect, test, type APIRequestContext } from "@playwright/test";
import { DEMO_API_KEY } from "../../prisma/demo-data";
import { signIn } from "./sign-in";

// A seeded client texts a handset, which replies STOP to the client's sender id: the SMSC simulator sends the reply to the running bulk-proc as a
// mobile-originated deliver_sm, the inbound worker stores it and opts the number out of the client; an operator sees
// the reply on the Replies page and the opt-out, asked by the reply, on the Opt-outs page. A START puts it back.

const CLIENT = "Acme Retail";
const SIMULATOR = `http://127.0.0.1:${process.env.SMSC_HTTP_PORT ?? 2776}`;

/** The handset's message, as a carrier would hand it over (international number without its "+"). */
async function reply(request: APIRequestContext, from: string, text: string) {
  const res = await request.post(`${SIMULATOR}/mo`, { data: { from: from.slice(1), to: "ACMESHOP", text } });
  expect(res.status(), await res.text()).toBe(200);
  // ESME_ROK: bulk-proc took it (it answers only once the reply is on Kafka).
  expect(await res.json()).toEqual({ commandStatus: 0 });
}

test("a STOP reply opts the number out of the client it wrote to; START opts it back in", async ({ page, request }) => {
  const handset = `+4479112${String(Date.now()).slice(-5)}`;
  // The reply answers this message (other clients of the test database may have the same sender id).
  const sent = await request.post("/api/v1/messages", {
    headers: { authorization: `Bearer ${DEMO_API_KEY}` },
    data: { to: handset, from: "ACMESHOP", text: "Your order has shipped" },
  });
  expect(sent.status(), await sent.text()).toBe(202);
  await signIn(page);
  // The client's answer to a STOP, set on its page: sent back to the number the STOP opts out.
  const answer = `Acme Retail: no more messages (${handset}). Reply START to resubscribe.`;
  await page.getByRole("link", { name: "Clients" }).click();
  await page.getByRole("link", { name: CLIENT, exact: true }).click();
  const answers = page.getByTestId("keyword-answers");
  await answers.getByLabel("Answer to STOP").fill(answer);
  await answers.getByRole("button", { name: "Set answers" }).click();
  await expect(answers.getByRole("status")).toHaveText("Answers set.");

  // A handset answers a message it got.
  const id = ((await sent.json()) as { id: string }).id;
  await expect(async () => {
    const read = await request.get(`/api/v1/messages/${id}`, { headers: { authorization: `Bearer ${DEMO_API_KEY}` } });
    expect(((await read.json()) as { status: string }).status).toBe("DELIVERED");
  }).toPass({ timeout: 30_000 });
  await reply(request, handset, "Stop");
  await page.getByRole("link", { name: "Replies", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Replies" })).toBeVisible();
  await page.getByLabel("Number").fill(handset);
  await page.getByRole("button", { name: "Show" }).click();
  const row = page.getByTestId("replies").getByRole("row").filter({ hasText: handset });
  // The list refreshes itself: the reply appears once the inbound worker has it.
  await expect(row).toContainText("Stop");
  await expect(row).toContainText("STOP");
  await expect(row).toContainText(`opted out of ${CLIENT}`);
  await expect(row.getByRole("link", { name: CLIENT })).toBeVisible();

  await page.getByRole("link", { name: "Messages", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Messages" })).toBeVisible();
  await page.getByLabel("Recipient").fill(handset);
  await page.getByRole("button", { name: "Search" }).click();
  // The message the handset answered and, newest, the answer: both delivered.
  const delivered = page.getByTestId("messages").getByRole("row").filter({ hasText: "delivered" });
  await expect(async () => {
    await page.getByRole("button", { name: "Search" }).click();
    await expect(delivered).toHaveCount(2, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await delivered.first().getByRole("button", { name: "Details" }).click();
  await expect(page.getByTestId("message-body")).toHaveText(answer);

  await page.getByRole("link", { name: "Opt-outs", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Opt-outs" })).toBeVisible();
  await page.getByLabel("Find a number").fill(handset);
  await page.getByRole("button", { name: "Find" }).click();
  const optOut = page.getByTestId("opt-out-table").getByRole("row").filter({ hasText: handset });
  await expect(optOut).toContainText(CLIENT);
  await expect(optOut.getByRole("link", { name: "STOP reply" })).toBeVisible();

  await reply(request, handset, "START");
  await page.getByRole("link", { name: "Replies", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Replies" })).toBeVisible();
  await page.getByLabel("Number").fill(handset);
  await page.getByLabel("Keyword").selectOption({ label: "START (opt back in)" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("replies").getByRole("row").filter({ hasText: handset })).toContainText(
    `opted back in to ${CLIENT}`,
  );
  await page.getByRole("link", { name: "Opt-outs", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Opt-outs" })).toBeVisible();
  await page.getByLabel("Find a number").fill(handset);
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page.getByTestId("opt-out-table")).toContainText("No opt-outs here.");
  await expect(page.getByTestId("opt-out-table").getByRole("row").filter({ hasText: handset })).toHaveCount(0);
});
