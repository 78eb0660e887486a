import { describe, expect, it } from "vitest";
import { chunkBuffer, splitPastedRecipients, toRecipientLines } from "./recipients";

describe("pasted recipients", () => {
  it("splits on new lines, commas and semicolons and drops blanks", () => {
    expect(splitPastedRecipients(" +1 415 555 0123 ,\r\n\n+447911123456;07911 123457\n")).toEqual([
      "+1 415 555 0123",
      "+447911123456",
      "07911 123457",
    ]);
  });

  it("stores one recipient per line and counts them", () => {
    const { content, count } = toRecipientLines("a,b\n\nc");
    expect(content.toString()).toBe("a\nb\nc\n");
    expect(count).toBe(3);
  });

  it("chunks without losing bytes", () => {
    const buf = Buffer.from("0123456789");
    const chunks = chunkBuffer(buf, 4);
    expect(chunks.map((c) => c.toString())).toEqual(["0123", "4567", "89"]);
  });
});
