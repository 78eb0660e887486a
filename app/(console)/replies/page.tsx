import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { ReplyList } from "./reply-list";

export default async function RepliesPage({
  searchParams,
}: {
  searchParams: Promise<{ clientId?: string; campaignId?: string }>;
}) {
  const [{ clientId, campaignId }] = await Promise.all([searchParams, prefetch(trpc.clients.list.queryOptions())]);
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Replies</h1>
      <p className="mt-1 text-sm text-slate-500">
        What handsets sent to the clients&apos; numbers and sender ids. A STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) opts
        the number out of the client it answers at once; START opts it back in.
      </p>
      {/* Keyed: a link from a client's or a campaign's page starts a new list, even from this page. */}
      <ReplyList key={`${clientId ?? ""}|${campaignId ?? ""}`} initialClientId={clientId} campaignId={campaignId} />
    </HydrateClient>
  );
}
