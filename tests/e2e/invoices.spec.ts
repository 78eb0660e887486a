import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";
import pg from "pg";

// A postpaid client's month of usage becomes an invoice: an admin generates
// the month from the Invoices page, an operator finds the invoice by client
// and reads its line items and total.
//
// The usage is written straight into usage_records, as the postpaid lane
// would, in a month long past (2014-02): a month another run's "previous
// month" can reach only if it starts right now, and then the invoice is the
// same one, under another period.

const MONTH = "2014-02";

/** A postpaid client on the Standard plan with usage in MONTH: 11 cents over 4 messages, one refund. */
async function createPostpaidUsage(name: string) {
  const db = new pg.Client({
    connectionString: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/volley_test",
  });
  await db.connect();
  try {
    const clientId = `e2e-${randomUUID()}`;
    const accountId = `e2e-${randomUUID()}`;
    await db.query("BEGIN");
    await db.query(
      `INSERT INTO clients (id, name, billing_type, credit_limit, rate_plan_id, default_country, updated_at)
       SELECT $1, $2, 'POSTPAID', 100000, id, 'DE', now() FROM rate_plans WHERE name = 'Standard'`,
      [clientId, name],
    );
    await db.query(
      "INSERT INTO accounts (id, client_id, currency, unbilled_usage, updated_at) VALUES ($1, $2, 'USD', 11, now())",
      [accountId, clientId],
    );
    const rows: [string, string, string, number, number, string][] = [
      ["cdr:1", "MARKETING", "DE", 1, 2, "2014-02-03T10:00:00Z"],
      ["cdr:2", "MARKETING", "DE", 1, 2, "2014-02-04T10:00:00Z"],
      ["cdr:3", "AUTHENTICATION", "DE", 1, 4, "2014-02-05T10:00:00Z"],
      ["cdr:4", "MARKETING", "GB", 2, 6, "2014-02-06T10:00:00Z"],
      ["refund:4", "MARKETING", "GB", -1, -3, "2014-02-06T11:00:00Z"],
    ];
    for (const [ref, category, destination, segments, amount, at] of rows) {
      const messageId = `${accountId}-${ref.split(":")[1]}`;
      await db.query(
        `INSERT INTO usage_records (account_id, client_id, message_id, reference, category, destination, segments, amount, currency, used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'USD', $9)`,
        [
          accountId,
          clientId,
          messageId,
          `${ref.split(":")[0]}:${messageId}`,
          category,
          destination,
          segments,
          amount,
          at,
        ],
      );
    }
    await db.query("COMMIT");
  } finally {
    await db.end();
  }
}

test("generate a month's invoices and read one", async ({ page, browser }) => {
  const clientName = `E2E Postpaid ${Date.now()}`;
  await createPostpaidUsage(clientName);

  await signIn(page, "admin@volley.local");
  await page.getByRole("link", { name: "Invoices" }).click();
  await expect(page.getByRole("heading", { name: "Invoices" })).toBeVisible();
  await page.getByLabel("Month (UTC)").fill(MONTH);
  await page.getByRole("button", { name: "Generate invoices for month" }).click();
  await expect(page.getByRole("status")).toContainText(MONTH);

  // An operator (no generate form) finds it by client and opens it.
  const operatorPage = await (await browser.newContext()).newPage();
  await signIn(operatorPage, "operator@volley.local");
  await operatorPage.getByRole("link", { name: "Invoices" }).click();
  await expect(operatorPage.getByRole("button", { name: "Generate invoices for month" })).toHaveCount(0);
  await operatorPage.getByLabel("Client").selectOption({ label: clientName });
  const row = operatorPage.getByTestId("invoice-list").getByRole("row").filter({ hasText: clientName });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("0.11 USD");
  await row.getByRole("link").click();

  await expect(operatorPage.getByRole("heading", { name: new RegExp(`Invoice #\\d+ · ${clientName}`) })).toBeVisible();
  await expect(operatorPage.getByTestId("invoice-total")).toHaveText("0.11 USD");
  const lines = operatorPage.getByTestId("invoice-lines").getByRole("row");
  await expect(lines).toHaveCount(3);
  await expect(lines.filter({ hasText: "authentication" })).toContainText("DE");
  await expect(lines.filter({ hasText: "authentication" })).toContainText("0.04 USD");
  await expect(lines.filter({ hasText: "GB" })).toContainText("0.03 USD");
  const germanMarketing = lines.filter({ hasText: "marketing" }).filter({ hasText: "DE" });
  await expect(germanMarketing.getByRole("cell").nth(2)).toHaveText("2");
  await expect(germanMarketing).toContainText("0.04 USD");
  // Totals row: 4 messages, 4 segments (the refund takes one back), 0.11 USD.
  await expect(operatorPage.getByTestId("invoice-totals")).toHaveText(/Total\s*4\s*4\s*0\.11 USD/);
  await operatorPage.screenshot({ path: "test-results/e2e-invoice.png", fullPage: true });
});
