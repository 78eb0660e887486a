import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { MessageSearch } from "./message-search";

export default async function MessagesPage({ searchParams }: { searchParams: Promise<{ clientId?: string }> }) {
  const [{ clientId }] = await Promise.all([searchParams, prefetch(trpc.clients.list.queryOptions())]);
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Messages</h1>
      <p className="mt-1 text-sm text-slate-500">
        Find a message by its id or its recipient, or list a client&apos;s newest; open one to see its delivery, its
        charges and its webhook.
      </p>
      {/* Keyed: a link from a client's page starts a new search, even from this page. */}
      <MessageSearch key={clientId ?? ""} initialClientId={clientId} />
    </HydrateClient>
  );
}
