import { describe, expect, it } from "vitest";
import { fileNameFromHeader, isDeclaredTooLarge, webStreamChunks } from "./request-body";

function streamOf(parts: string[]) {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts.shift();
      if (part === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(part));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, isCancelled: () => cancelled };
}

describe("webStreamChunks", () => {
  it("yields every chunk of a web stream in order", async () => {
    const { stream } = streamOf(["phone\n", "", "+447911123401\n"]);
    const out: string[] = [];
    for await (const chunk of webStreamChunks(stream)) out.push(new TextDecoder().decode(chunk));
    expect(out).toEqual(["phone\n", "+447911123401\n"]);
  });

  it("cancels the stream when the reader stops early", async () => {
    const { stream, isCancelled } = streamOf(["a", "b", "c"]);
    for await (const _ of webStreamChunks(stream)) break;
    expect(isCancelled()).toBe(true);
  });

  it("reads a missing body as empty", async () => {
    const out = [];
    for await (const chunk of webStreamChunks(null)) out.push(chunk);
    expect(out).toEqual([]);
  });
});

describe("fileNameFromHeader", () => {
  it("decodes the URI-encoded name and keeps only its base name", () => {
    expect(fileNameFromHeader(encodeURIComponent("Liste été.csv"))).toBe("Liste été.csv");
    expect(fileNameFromHeader(encodeURIComponent("C:\\Users\\me\\list.csv"))).toBe("list.csv");
    expect(fileNameFromHeader("100%.csv")).toBe("100%.csv");
    expect(fileNameFromHeader(null)).toBe("upload.csv");
    expect(fileNameFromHeader("%2F")).toBe("upload.csv");
  });
});

describe("isDeclaredTooLarge", () => {
  it("compares a declared length with the limit", () => {
    expect(isDeclaredTooLarge("2048", 1024)).toBe(true);
    expect(isDeclaredTooLarge("1024", 1024)).toBe(false);
    expect(isDeclaredTooLarge(null, 1024)).toBe(false);
    expect(isDeclaredTooLarge("nonsense", 1024)).toBe(false);
  });
});
