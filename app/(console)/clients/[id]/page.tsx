import { requireSession } from "../../../_components/session";
import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { ClientDetail } from "./client-detail";

export default async function ClientPage({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, session] = await Promise.all([params, requireSession()]);
  await prefetch(trpc.clients.get.queryOptions({ id }));
  return (
    <HydrateClient>
      <ClientDetail id={id} canEdit={session.role !== "VIEWER"} />
    </HydrateClient>
  );
}
