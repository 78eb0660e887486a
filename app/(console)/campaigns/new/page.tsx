import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { NewCampaignForm } from "./new-campaign-form";

export default async function NewCampaignPage() {
  await prefetch(trpc.clients.list.queryOptions());
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">New campaign</h1>
      <NewCampaignForm />
    </HydrateClient>
  );
}
