// What POST /api/uploads needs to hand a browser's request body to
// createUploadFromStream: the body as chunks, and the file's name.

/**
 * A web ReadableStream read chunk by chunk, so the upload is parsed and
 * stored while it arrives instead of being buffered whole. When the reader
 * stops early (a refused file) the stream is cancelled, which lets the
 * server drop the rest of the request.
 */
export async function* webStreamChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let isDone = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        isDone = true;
        return;
      }
      if (next.value.byteLength > 0) yield next.value;
    }
  } finally {
    if (!isDone) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The x-file-name header (URI-encoded by the browser) as a plain base name. */
export function fileNameFromHeader(raw: string | null): string {
  if (!raw) return "upload.csv";
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // A malformed escape: keep the header as sent.
  }
  // Browsers send a base name already; anything path-like is cut to its last part.
  name = (name.split(/[\\/]/).pop() ?? "").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return name || "upload.csv";
}

/** True when the declared Content-Length already exceeds the limit. */
export function isDeclaredTooLarge(contentLength: string | null, maxBytes: number): boolean {
  if (!contentLength) return false;
  const declared = Number(contentLength);
  return Number.isFinite(declared) && declared > maxBytes;
}

export function tooLargeMessage(maxBytes: number): string {
  return `The file is larger than the ${Math.floor(maxBytes / (1024 * 1024))} MiB limit`;
}
