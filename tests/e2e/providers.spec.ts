import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";
import pg from "pg";

// An admin adds an SMPP provider and a routing rule from the Providers page;
// a viewer sees both, with no control that changes anything.
//
// The provider points at this run's SMSC simulator and is created disabled,
// and the rule only matches a number range no one sends to (+99912…), so
// other specs' traffic is routed as before. Both are removed at the end.

const stamp = Date.now().toString(36);
const PROVIDER = `E2E SMPP ${stamp}`;
const PREFIX = "+99912";

test.afterAll(async () => {
  const db = new pg.Client({
    connectionString: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/volley_test",
  });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>("SELECT id FROM providers WHERE name = $1", [PROVIDER]);
    const ids = rows.map((r) => r.id);
    await db.query("DELETE FROM routing_rules WHERE provider_ids && $1::text[]", [ids]);
    await db.query("DELETE FROM providers WHERE id = ANY($1::text[])", [ids]);
  } finally {
    await db.end();
  }
});

test("an admin adds a provider and a routing rule; a viewer only reads", async ({ page, browser }) => {
  await signIn(page, "admin@volley.local");
  await page.getByRole("link", { name: "Providers" }).click();
  await expect(page.getByRole("heading", { name: "Providers" })).toBeVisible();

  await page.getByRole("button", { name: "Add provider" }).click();
  const form = page.getByRole("form", { name: "New provider" });
  await form.getByLabel("Name").fill(PROVIDER);
  await form.getByLabel("Kind").selectOption("SMPP");
  await form.getByLabel("Max TPS").fill("50");
  await form.getByLabel("Enabled", { exact: true }).uncheck();
  await form.getByLabel("Host").fill("127.0.0.1");
  await form.getByLabel("Port").fill("2785");
  await form.getByLabel("System ID").fill("volley");
  await form.getByLabel("Password").fill("volley-smsc");
  await form.getByLabel("Window size").fill("10");
  await form.getByLabel("Binds").fill("2");
  await form.getByRole("button", { name: "Create provider" }).click();
  await expect(form).toHaveCount(0);

  const row = page.getByTestId("provider-list").getByRole("row").filter({ hasText: PROVIDER });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("SMPP");
  await expect(row).toContainText("volley@127.0.0.1:2785");
  await expect(row).toContainText("50/s");
  await expect(row).toContainText("volley@127.0.0.1:2785 × 2 binds");
  // Disabled, so no worker holds it.
  await expect(row.getByTestId("bind-state")).toHaveText("no worker");
  await expect(row.getByRole("button", { name: `Enable ${PROVIDER}` })).toBeVisible();
  // The password is never shown again, not even in the edit form.
  await row.getByRole("button", { name: `Edit ${PROVIDER}` }).click();
  const edit = page.getByRole("form", { name: `Edit provider ${PROVIDER}` });
  await expect(edit.getByLabel("Password")).toHaveValue("");
  await expect(edit.getByLabel("Window size")).toHaveValue("10");
  await expect(edit.getByLabel("Binds")).toHaveValue("2");
  await edit.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: "Add rule" }).click();
  const ruleForm = page.getByRole("form", { name: "New routing rule" });
  await ruleForm.getByLabel("Client").selectOption({ label: "Any client" });
  await ruleForm.getByLabel("Destination prefix").fill(PREFIX);
  await ruleForm.getByLabel("Category").selectOption("AUTHENTICATION");
  await ruleForm.getByLabel("Add provider").selectOption({ label: PROVIDER });
  await expect(ruleForm.getByTestId("rule-providers")).toContainText(PROVIDER);
  await ruleForm.getByRole("button", { name: "Create rule" }).click();
  await expect(ruleForm).toHaveCount(0);

  const rule = page.getByTestId("routing-rules").getByRole("row").filter({ hasText: PREFIX });
  await expect(rule).toHaveCount(1);
  await expect(rule).toContainText(PROVIDER);
  await expect(rule).toContainText("authentication");
  await expect(rule).toContainText("any");
  await page.screenshot({ path: "test-results/e2e-providers.png", fullPage: true });

  const viewer = await (await browser.newContext()).newPage();
  await signIn(viewer, "viewer@volley.local");
  await viewer.getByRole("link", { name: "Providers" }).click();
  await expect(viewer.getByRole("heading", { name: "Providers" })).toBeVisible();
  const viewerRow = viewer.getByTestId("provider-list").getByRole("row").filter({ hasText: PROVIDER });
  await expect(viewerRow).toContainText("50/s");
  await expect(viewer.getByTestId("routing-rules").getByRole("row").filter({ hasText: PREFIX })).toContainText(
    PROVIDER,
  );
  for (const name of ["Add provider", "Add rule", `Edit ${PROVIDER}`, `Enable ${PROVIDER}`, "Edit", "Delete"])
    await expect(viewer.getByRole("button", { name, exact: true })).toHaveCount(0);
  await expect(viewer.getByRole("form")).toHaveCount(0);
});
