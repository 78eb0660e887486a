import { requireSession } from "../../_components/session";
import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { optOutListInput, optOutListPaging } from "./list-options";
import { OptOutList } from "./opt-out-list";

export default async function OptOutsPage() {
  const session = await requireSession();
  await Promise.all([
    prefetch(trpc.clients.list.queryOptions()),
    prefetch(trpc.optOuts.list.infiniteQueryOptions(optOutListInput(""), optOutListPaging)),
  ]);
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Opt-outs</h1>
      <p className="mt-1 text-sm text-slate-500">
        Numbers that get no messages: from any client (global) or from one client.
      </p>
      <OptOutList canEdit={session.role !== "VIEWER"} />
    </HydrateClient>
  );
}
