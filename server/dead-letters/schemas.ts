import { z } from "zod";

// Dead-letter ids are bigserial; they travel as decimal strings.
const deadLetterId = z.string().regex(/^[1-9]\d{0,17}$/, "Not a dead-letter id");
// Kafka topic names are at most 249 characters.
const topicName = z.string().trim().min(1, "Choose a stage").max(249);

export const deadLetterStatus = z.enum(["pending", "replayed", "all"]);
export type DeadLetterStatus = z.infer<typeof deadLetterStatus>;

export const listDeadLettersInput = z.object({
  sourceTopic: topicName.optional(),
  status: deadLetterStatus.default("pending"),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: deadLetterId.nullish(),
});
export type ListDeadLettersInput = z.infer<typeof listDeadLettersInput>;

export const deadLetterIdInput = z.object({ id: deadLetterId });

export const replayAllInput = z.object({ sourceTopic: topicName });
