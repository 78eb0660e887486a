import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { signIn } from "./sign-in";
import { verifyWebhookSignature } from "../../server/webhooks/signature";

// A client's system sends an OTP through the Client API of the running console, with a key and a webhook URL an
// operator set on the client's page; the message goes through every worker to the SMSC simulator, and the client's
// endpoint (a real HTTP server in this test) gets its final status, signed with the secret the page shows.

const CLIENT = "Acme Retail";

test("send a message with an API key and get its signed delivery webhook", async ({ page, request }) => {
  const calls: { signature: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      calls.push({ signature: String(req.headers["volley-signature"]), body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/volley`;
  let clientPage: string | null = null;

  try {
    await signIn(page);
    await page.getByRole("link", { name: "Clients" }).click();
    await page.getByRole("link", { name: CLIENT, exact: true }).click();
    await expect(page.getByRole("heading", { name: CLIENT })).toBeVisible();
    clientPage = page.url();

    const hooks = page.getByTestId("webhook-panel");
    await hooks.getByLabel("URL").fill(hookUrl);
    await hooks.getByRole("button", { name: "Set URL" }).click();
    await expect(hooks.getByRole("button", { name: "Show" })).toBeVisible();
    await hooks.getByRole("button", { name: "Show" }).click();
    const secret = (await hooks.getByTestId("webhook-secret").textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);

    const keys = page.getByTestId("api-keys-panel");
    await keys.getByLabel("New key name").fill(`E2E sender ${Date.now()}`);
    await keys.getByRole("button", { name: "Create key" }).click();
    const key = await keys.getByTestId("new-api-key").getByLabel("New API key").inputValue();

    // The API's reference is public, like the console's login page.
    const doc = await request.get("/api/v1/openapi.json");
    expect(doc.status()).toBe(200);
    expect(await doc.json()).toMatchObject({ openapi: "3.1.0", paths: { "/api/v1/messages": { post: {} } } });

    const sent = await request.post("/api/v1/messages", {
      headers: { authorization: `Bearer ${key}` },
      data: {
        to: "07911 123456",
        from: "ACMESHOP",
        text: "Your Acme code is {{code}}",
        variables: { code: "731905" },
        category: "authentication",
        reference: `e2e-${Date.now()}`,
      },
    });
    expect(sent.status(), await sent.text()).toBe(202);
    const message = await sent.json();
    expect(message).toMatchObject({ status: "QUEUED", category: "authentication", duplicate: false });

    await expect.poll(() => calls.length, { timeout: 60_000 }).toBeGreaterThan(0);
    const call = calls[0]!;
    expect(verifyWebhookSignature(secret, call.signature, call.body)).toBe(true);
    expect(JSON.parse(call.body)).toMatchObject({ type: "message.status", messageId: message.id, status: "DELIVERED" });

    const read = await request.get(`/api/v1/messages/${message.id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(await read.json()).toMatchObject({ id: message.id, status: "DELIVERED", to: "+447911123456", segments: 1 });

    await page.reload();
    await expect(page.getByTestId("webhook-counts")).toContainText(/\b[1-9]\d* delivered/, { timeout: 30_000 });
    await page.screenshot({ path: "test-results/e2e-client-api-send.png", fullPage: true });

    // Support's view of the same message: found by its id on the Messages page, with its carrier, charge and webhook.
    // From the client's page: its newest messages, this one first.
    await page.getByRole("link", { name: "Messages →" }).click();
    await expect(page.getByTestId("messages").getByRole("row").nth(1)).toContainText("+447911123456");
    await expect(page.getByLabel("Client", { exact: true })).toHaveValue(/.+/);
    await page.getByLabel("Client", { exact: true }).selectOption("");
    await page.getByLabel("Message id").fill(message.id);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByTestId("messages").getByRole("row")).toHaveCount(2);
    const detail = page.getByTestId("message-detail");
    await expect(detail).toContainText(message.id);
    await expect(detail).toContainText("delivered");
    await expect(detail).toContainText("Client API (authentication)");
    await expect(detail).toContainText("SMSC simulator");
    await expect(detail).toContainText(/charge -0\.\d\d USD/);
    await expect(detail.getByTestId("message-body")).toHaveText("Your Acme code is 731905");
    await expect(detail).toContainText("delivered after 1 attempt");
    await page.screenshot({ path: "test-results/e2e-messages.png", fullPage: true });
  } finally {
    // The seeded client is shared by the other browser tests: it stops calling this test's endpoint. (The field is
    // filled once the settings have loaded, or emptying it would change nothing and leave the button disabled.)
    if (clientPage) {
      await page.goto(clientPage);
      const hooks = page.getByTestId("webhook-panel");
      await expect(hooks.getByLabel("URL")).toHaveValue(hookUrl);
      await hooks.getByLabel("URL").fill("");
      await hooks.getByRole("button", { name: "Set URL" }).click();
      // Saved: the draft is dropped, so the field shows the stored URL, none.
      await expect(hooks.getByRole("button", { name: "Set URL" })).toBeDisabled();
      await expect(hooks.getByLabel("URL")).toHaveValue("");
    }
    server.close();
  }
});
