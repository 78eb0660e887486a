import { z } from "zod";

export const webhookClientInput = z.object({ clientId: z.string().min(1) });

export const setWebhookUrlInput = z.object({
  clientId: z.string().min(1),
  // null removes it: no more calls are recorded (pending ones fail as "no webhook URL").
  url: z
    .url({ protocol: /^https?$/, error: "Give an http(s) URL" })
    .max(2000)
    .nullable(),
});
