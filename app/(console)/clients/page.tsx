import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { ClientList } from "./client-list";

export default async function ClientsPage() {
  await prefetch(trpc.clients.list.queryOptions());
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Clients</h1>
      <ClientList />
    </HydrateClient>
  );
}
