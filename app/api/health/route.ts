import { apiDeps } from "@/server/api/deps";

export const dynamic = "force-dynamic";

export async function GET() {
  const { db } = apiDeps();
  try {
    await db.pool.query("select 1");
    return Response.json({ ok: true, name: "web", checks: { postgres: { ok: true } } });
  } catch (err) {
    return Response.json(
      { ok: false, name: "web", checks: { postgres: { ok: false, detail: (err as Error).message } } },
      { status: 503 },
    );
  }
}
