import { requireSession } from "../../_components/session";
import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { ParkedNotice } from "./parked-notice";
import { ProviderList } from "./provider-list";
import { RoutingRules } from "./routing-rules";

export default async function ProvidersPage() {
  const session = await requireSession();
  await Promise.all([
    prefetch(trpc.providers.list.queryOptions()),
    prefetch(trpc.providers.rules.list.queryOptions()),
    prefetch(trpc.providers.parked.queryOptions()),
    prefetch(trpc.clients.list.queryOptions()),
  ]);
  const canEdit = session.role === "ADMIN";
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Providers</h1>
      <p className="mt-1 text-sm text-slate-500">
        Carrier connections and where traffic goes. Live figures come from the delivery workers every second.
      </p>
      <ParkedNotice />
      <ProviderList canEdit={canEdit} />
      <RoutingRules canEdit={canEdit} />
    </HydrateClient>
  );
}
