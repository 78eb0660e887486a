import { expect, type Page } from "@playwright/test";

/** Signs in as a seeded operator (every demo operator's password is volley-demo) and waits for the console. */
export async function signIn(page: Page, email = "operator@volley.local") {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("volley-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Campaigns" })).toBeVisible();
}
