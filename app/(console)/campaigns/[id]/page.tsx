import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { CampaignDetail } from "./campaign-detail";

export default async function CampaignPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await prefetch(trpc.campaigns.get.queryOptions({ id }));
  return (
    <HydrateClient>
      <CampaignDetail id={id} />
    </HydrateClient>
  );
}
