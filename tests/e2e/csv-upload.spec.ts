import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";

// An operator uploads a recipient CSV: the file is checked as it streams in,
// bad rows are counted and shown, unusable files are refused with a clear
// message, and a campaign from the upload sends to the valid rows only.

function csvFile(name: string, lines: string[]) {
  return { name, mimeType: "text/csv", buffer: Buffer.from(lines.join("\n") + "\n", "utf8") };
}

test("a CSV upload shows its summary and row errors, and a campaign from it sends to the valid rows", async ({
  page,
}) => {
  await signIn(page);
  await page.goto("/campaigns/new");
  const name = `E2E csv ${Date.now()}`;
  await page.getByLabel("Client", { exact: true }).selectOption({ label: "Acme Retail (prepaid)" });
  await page.getByLabel("Campaign name").fill(name);
  await page.getByLabel("Sender ID").fill("ACME");
  await page.getByRole("radio", { name: "Upload CSV" }).check();
  // Fresh numbers each run (UK mobile range 07400, all valid): other tests share
  // Redis and may have opted fixed ones out.
  const base = 447400_000_000 + Math.floor(Math.random() * 900_000);
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => `+${base + i}`);
  await page
    .getByLabel("CSV file")
    .setInputFiles(csvFile("spring-list.csv", ["name,phone", `Ann,${a}`, `Bob,${b}`, `Broken,${c},extra`, `Cy,${d}`]));

  const summary = page.getByTestId("upload-summary");
  await expect(summary).toContainText("spring-list.csv");
  await expect(summary).toContainText("4 rows · 3 valid · 1 invalid");
  await expect(summary).toContainText("row 3 (line 4): expected 2 columns, found 3");
  await expect(summary).toContainText("phone column: phone");
  await expect(page.getByTestId("template-variables")).toContainText("{{name}}");

  await page.getByLabel("Message", { exact: true }).fill("Hi {{name}}, spring sale: 20% off this weekend.");
  await expect(page.getByTestId("segment-counter")).toHaveText("47 characters · GSM-7 · 1 segment");
  await page.getByRole("button", { name: "Create campaign" }).click();

  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByTestId("campaign-status")).toHaveText("draft");
  await expect(page.getByTestId("campaign-progress")).toHaveText("0 / 3 processed");
  await expect(page.getByTestId("campaign-recipients")).toContainText("spring-list.csv");
  await expect(page.getByTestId("campaign-recipients")).toContainText("row 3 (line 4): expected 2 columns, found 3");
  await page.getByRole("button", { name: "Launch" }).click();

  await expect(page.getByTestId("campaign-status")).not.toHaveText("draft");
  await expect(page.getByTestId("count-DELIVERED")).toHaveText("3", { timeout: 60_000 });
  await expect(page.getByTestId("campaign-progress")).toHaveText("3 / 3 processed");
  await page.screenshot({ path: "test-results/e2e-csv-upload.png", fullPage: true });
});

test("a CSV without a phone column is refused with a clear message", async ({ page }) => {
  await signIn(page);
  await page.goto("/campaigns/new");
  await page.getByRole("radio", { name: "Upload CSV" }).check();
  await page.getByLabel("CSV file").setInputFiles(csvFile("contacts.csv", ["name,email", "Ann,ann@example.com"]));

  const refusal = page.getByTestId("upload-error");
  await expect(refusal).toContainText(
    'No phone column: name one column phone, msisdn, mobile, number or to (found "name", "email"',
  );
  await expect(refusal).toHaveClass(/text-red-600/);
  await expect(page.getByTestId("upload-summary")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Create campaign" })).toBeDisabled();
});

test("the upload endpoint refuses signed-out and read-only callers", async ({ page, playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const signedOut = await anonymous.post("/api/uploads", { data: "phone\n+447911123401\n" });
  expect(signedOut.status()).toBe(401);
  await anonymous.dispose();

  await signIn(page, "viewer@volley.local");
  const viewer = await page.request.post("/api/uploads", {
    data: "phone\n+447911123401\n",
    headers: { "content-type": "text/csv" },
  });
  expect(viewer.status()).toBe(403);
  expect(await viewer.json()).toEqual({ error: "Read-only account" });
});
