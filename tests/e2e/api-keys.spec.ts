import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";

// An operator issues a client API key on the client's page; the client's
// system (here Playwright's request API, with no console session) reads the
// balance with it and gets what the console shows; once revoked, the key is
// refused.

const CLIENT = "Umbrella Travel";

test("issue an API key, read the balance with it, revoke it", async ({ page, request }) => {
  await signIn(page);

  await page.getByRole("link", { name: "Clients" }).click();
  await page.getByRole("link", { name: CLIENT, exact: true }).click();
  await expect(page.getByRole("heading", { name: CLIENT })).toBeVisible();
  const clientId = /\/clients\/([^/?#]+)/.exec(page.url())?.[1];
  expect(clientId).toBeTruthy();

  // Without a key: a JSON 401, not the console's login redirect.
  const anonymous = await request.get("/api/v1/balance", { maxRedirects: 0 });
  expect(anonymous.status()).toBe(401);
  expect((await anonymous.json()).error.code).toBe("UNAUTHORIZED");

  const panel = page.getByTestId("api-keys-panel");
  const name = `E2E key ${Date.now()}`;
  await panel.getByLabel("New key name").fill(name);
  await panel.getByRole("button", { name: "Create key" }).click();
  const issued = panel.getByTestId("new-api-key");
  await expect(issued).toContainText("won't be shown again");
  const key = await issued.getByLabel("New API key").inputValue();
  expect(key).toMatch(/^vk_[A-Za-z0-9_-]{43}$/);
  const row = panel.getByTestId("api-keys").getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(`${key.slice(0, 12)}…`);
  await expect(row).toContainText("active");
  await page.screenshot({ path: "test-results/e2e-api-keys.png", fullPage: true });

  const res = await request.get("/api/v1/balance", { headers: { authorization: `Bearer ${key}` } });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ clientId, billingType: "PREPAID", currency: "USD" });
  expect(body.available).toMatch(/^\d+$/);
  // The same figure the console's balance panel shows.
  await expect(page.getByTestId("balance-panel").getByTestId("available")).toHaveText(body.formatted.available);

  // Revoking takes a confirmation, then the key is refused at once.
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await row.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(row).toContainText("revoked");
  await expect(row.getByRole("button", { name: `Revoke ${name}` })).toHaveCount(0);
  const refused = await request.get("/api/v1/balance", { headers: { authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
  expect(await refused.json()).toEqual({
    error: { code: "UNAUTHORIZED", message: "This API key has been revoked" },
  });

  // After a reload the key itself is gone from the page: only its prefix is listed.
  await page.reload();
  await expect(panel.getByTestId("api-keys").getByRole("row").filter({ hasText: name })).toContainText("revoked");
  await expect(panel.getByTestId("new-api-key")).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
});
