import { expect, test } from "@playwright/test";

// An operator signs in, creates a campaign with a pasted list, launches it
// and watches every message reach its status without reloading the page.

test("create and launch a campaign, counts update live", async ({ page }) => {
  await page.goto("/campaigns");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill("operator@volley.local");
  await page.getByLabel("Password").fill("volley-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Campaigns" })).toBeVisible();

  await page.getByRole("link", { name: "New campaign" }).click();
  const name = `E2E launch ${Date.now()}`;
  await page.getByLabel("Client", { exact: true }).selectOption({ label: "Acme Retail (prepaid)" });
  await page.getByLabel("Campaign name").fill(name);
  await page.getByLabel("Sender ID").fill("ACME");
  await page.getByLabel("Message", { exact: true }).fill("Spring sale: 20% off everything this weekend.");
  const valid = ["+447911123401", "+447911123402", "07911 123403", "+447911123404", "+447911123405"];
  await page.getByLabel("Recipients").fill([...valid, "12345"].join("\n"));
  await expect(page.getByText("6 recipients")).toBeVisible();
  await page.getByRole("button", { name: "Create campaign" }).click();

  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByTestId("campaign-status")).toHaveText("draft");
  await expect(page.getByTestId("campaign-progress")).toHaveText("0 / 6 processed");

  // The quote prices the five sendable rows; the prepaid balance covers it, and launching holds it.
  await page.getByRole("button", { name: "Get quote" }).click();
  await expect(page.getByTestId("quote-coverage")).toContainText("covers this campaign");
  await expect(page.getByText("1 row will not be sent")).toBeVisible();
  const total = (await page.getByTestId("quote-total").textContent())!.trim();
  await expect(page.getByLabel("Hold the quote")).toBeChecked();
  await page.getByRole("button", { name: "Launch" }).click();
  await expect(page.getByTestId("campaign-hold")).toContainText(`Held at launch: ${total}`);

  // No reload: the page polls while the campaign runs.
  // Delivered by the SMSC simulator (its receipts arrive about a second after each submit).
  await expect(page.getByTestId("count-DELIVERED")).toHaveText("5", { timeout: 60_000 });
  await expect(page.getByTestId("count-REJECTED")).toHaveText("1");
  await expect(page.getByTestId("campaign-progress")).toHaveText("6 / 6 processed");
  await expect(page.getByTestId("campaign-status")).toHaveText("completed");
  await expect(page.getByTestId("campaign-hold")).toContainText("(released)");
  // What it cost, from the ledger: the five delivered messages' charges, which the quote priced.
  await expect(page.getByTestId("campaign-spend")).toContainText(`Spent: ${total} (5 messages charged ${total})`, {
    timeout: 20_000,
  });
  await page.screenshot({ path: "test-results/e2e-campaign.png", fullPage: true });

  await page.getByRole("link", { name: "Campaigns" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();
});

test("wrong password shows an error and stays on the login page", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("operator@volley.local");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password")).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});
