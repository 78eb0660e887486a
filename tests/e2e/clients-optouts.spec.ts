import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./sign-in";

// An operator edits a seeded client's settings and sender IDs and manages
// opt-outs; a viewer sees the same pages without any control that changes
// something. The seeded client is put back as it was, so other specs that
// send for it are unaffected.

const CLIENT = "Initech Auth";
const SEEDED = { maxSegments: 10, quietHours: null, senderId: "INITECH2" } as const;

async function openClient(page: Page) {
  await page.getByRole("link", { name: "Clients" }).click();
  await page.getByRole("link", { name: CLIENT, exact: true }).click();
  await expect(page.getByRole("heading", { name: CLIENT })).toBeVisible();
}

/** A tRPC mutation over HTTP with the page's session cookie (superjson body). */
async function callMutation(page: Page, path: string, input: unknown) {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
}

test.describe("clients and opt-outs", () => {
  let addedOptOut: string | null = null;

  // Only if a test failed half-way: undo its changes through the API.
  test.afterEach(async ({ page }, info) => {
    if (info.status === info.expectedStatus) return;
    if (addedOptOut) await callMutation(page, "optOuts.remove", { msisdn: addedOptOut, clientId: null });
    const id = /\/clients\/([^/?#]+)/.exec(page.url())?.[1];
    if (!id) return;
    await callMutation(page, "clients.update", { id, maxSegments: SEEDED.maxSegments, quietHours: null });
    await callMutation(page, "clients.removeSenderId", { clientId: id, value: SEEDED.senderId });
  });

  test("an operator edits a client's settings and sender IDs", async ({ page }) => {
    await signIn(page);
    await openClient(page);
    await expect(page.getByText("prepaid", { exact: true })).toBeVisible();

    await page.getByLabel("No quiet hours").uncheck();
    await page.getByLabel("From", { exact: true }).fill("21:00");
    await page.getByLabel("Until", { exact: true }).fill("08:00");
    await page.getByLabel("Max segments").fill("4");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved.");

    await page.reload();
    await expect(page.getByLabel("No quiet hours")).not.toBeChecked();
    await expect(page.getByLabel("From", { exact: true })).toHaveValue("21:00");
    await expect(page.getByLabel("Until", { exact: true })).toHaveValue("08:00");
    await expect(page.getByLabel("Max segments")).toHaveValue("4");

    // A bad value comes back as a field error, next to its field.
    await page.getByLabel("From", { exact: true }).fill("25:00");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Use HH:MM (24-hour)")).toBeVisible();
    await page.getByLabel("From", { exact: true }).fill("21:00");
    await expect(page.getByText("Use HH:MM (24-hour)")).toHaveCount(0);

    const senderIds = page.getByTestId("sender-ids");
    await page.getByLabel("New sender ID").fill(SEEDED.senderId);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(senderIds.getByText(SEEDED.senderId, { exact: true })).toBeVisible();
    await expect(page.getByLabel("New sender ID")).toHaveValue("");
    await page.screenshot({ path: "test-results/e2e-client-detail.png", fullPage: true });
    await page.getByRole("button", { name: `Remove ${SEEDED.senderId}` }).click();
    await expect(senderIds.getByText(SEEDED.senderId, { exact: true })).toHaveCount(0);
    await expect(senderIds.getByText("INITECH", { exact: true })).toBeVisible();

    // Back to the seeded settings.
    await page.getByLabel("No quiet hours").check();
    await page.getByLabel("Max segments").fill(String(SEEDED.maxSegments));
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toHaveText("Saved.");
    await page.reload();
    await expect(page.getByLabel("No quiet hours")).toBeChecked();
    await expect(page.getByLabel("Max segments")).toHaveValue(String(SEEDED.maxSegments));
  });

  test("an operator adds and removes a global opt-out", async ({ page }) => {
    await signIn(page);
    await page.getByRole("link", { name: "Opt-outs" }).click();
    await expect(page.getByRole("heading", { name: "Opt-outs" })).toBeVisible();

    // Fresh each run (UK mobile range 07400, valid): Redis is shared with other tests.
    const number = `+447400${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
    addedOptOut = number;
    await page.getByLabel("Number", { exact: true }).fill(number);
    await page.getByLabel("Applies to").selectOption({ label: "Every client (global)" });
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(page.getByRole("status")).toHaveText(`${number} opted out.`);

    await page.getByLabel("Show").selectOption({ label: "Global only" });
    const row = page.getByTestId("opt-out-table").getByRole("row").filter({ hasText: number });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("global");
    await page.screenshot({ path: "test-results/e2e-opt-outs.png", fullPage: true });

    page.once("dialog", (dialog) => dialog.accept());
    await row.getByRole("button", { name: `Remove ${number}` }).click();
    await expect(row).toHaveCount(0);
    addedOptOut = null;
  });

  test("a viewer sees clients and opt-outs without edit controls", async ({ page }) => {
    await signIn(page, "viewer@volley.local");
    await openClient(page);
    await expect(page.getByLabel("Max segments")).toBeDisabled();
    await expect(page.getByRole("button", { name: "Save" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Add", exact: true })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Remove/ })).toHaveCount(0);
    await expect(page.getByTestId("sender-ids").getByText("INITECH", { exact: true })).toBeVisible();

    await page.getByRole("link", { name: "Opt-outs" }).click();
    await expect(page.getByRole("heading", { name: "Opt-outs" })).toBeVisible();
    await expect(page.getByTestId("opt-out-table")).toBeVisible();
    await expect(page.getByRole("button", { name: "Add", exact: true })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Remove/ })).toHaveCount(0);
  });
});
