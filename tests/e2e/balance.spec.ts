import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";

// An operator tops up a prepaid client's balance: the available balance and
// the ledger show it at once, with who did it and why.

test("top up a prepaid balance and see it in the ledger", async ({ page }) => {
  await signIn(page);

  await page.getByRole("link", { name: "Clients" }).click();
  await page.getByRole("link", { name: "Initech Auth", exact: true }).click();
  const panel = page.getByTestId("balance-panel");
  const available = panel.getByTestId("available");
  await expect(available).toHaveText(/USD$/);
  const before = Number((await available.innerText()).replace(/[^\d.]/g, ""));

  const reason = `E2E top-up ${Date.now()}`;
  await panel.getByLabel("Amount (USD)").fill("12.34");
  await panel.getByLabel("Reason").fill(reason);
  await panel.getByRole("button", { name: "Top up" }).click();

  await expect(available).toHaveText(`${(before + 12.34).toLocaleString("en-US", { minimumFractionDigits: 2 })} USD`);
  const row = panel.getByTestId("ledger").getByRole("row").filter({ hasText: reason });
  await expect(row).toContainText("topup");
  await expect(row).toContainText("12.34 USD");
  await expect(row).toContainText("Oscar Operator");

  // A wrong amount is explained, not sent.
  await panel.getByLabel("Amount (USD)").fill("1.234");
  await panel.getByLabel("Reason").fill("too precise");
  await panel.getByRole("button", { name: "Top up" }).click();
  await expect(panel.getByText("USD has 2 decimal places")).toBeVisible();
  await page.screenshot({ path: "test-results/e2e-balance.png", fullPage: true });
});
