import { apiDeps } from "@/server/api/deps";
import { readCookie, SESSION_COOKIE, verifySessionToken } from "@/server/auth/session";
import { AppError } from "@/server/errors";
import {
  fileNameFromHeader,
  isDeclaredTooLarge,
  tooLargeMessage,
  webStreamChunks,
} from "@/server/uploads/request-body";
import { createUploadFromStream } from "@/server/uploads/service";

export const dynamic = "force-dynamic";

// The browser posts the raw CSV as the body (not multipart), so it is parsed
// and stored as it streams in; campaigns.create then refers to it by id.
export async function POST(request: Request) {
  const deps = apiDeps();
  const session = verifySessionToken(
    readCookie(request.headers.get("cookie"), SESSION_COOKIE),
    deps.env.SESSION_SECRET,
  );
  if (!session) return Response.json({ error: "Sign in first" }, { status: 401 });
  if (session.role === "VIEWER") return Response.json({ error: "Read-only account" }, { status: 403 });

  const maxBytes = deps.env.UPLOAD_MAX_BYTES;
  if (isDeclaredTooLarge(request.headers.get("content-length"), maxBytes)) {
    return Response.json({ error: tooLargeMessage(maxBytes) }, { status: 413 });
  }
  try {
    const summary = await createUploadFromStream(deps.db, webStreamChunks(request.body), {
      fileName: fileNameFromHeader(request.headers.get("x-file-name")),
      maxBytes,
      operatorId: session.operatorId,
    });
    return Response.json(summary, { status: 201 });
  } catch (err) {
    if (err instanceof AppError && err.code !== "INTERNAL") {
      return Response.json({ error: err.message }, { status: err.httpStatus });
    }
    deps.log.error({ err }, "upload failed");
    return Response.json({ error: "Internal error" }, { status: 500 });
  }
}
