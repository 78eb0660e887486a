import Link from "next/link";
import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { CampaignList } from "./campaign-list";
import { CAMPAIGN_LIST_INPUT, campaignListPaging } from "./list-options";

export default async function CampaignsPage() {
  await prefetch(trpc.campaigns.list.infiniteQueryOptions(CAMPAIGN_LIST_INPUT, campaignListPaging));
  return (
    <HydrateClient>
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold tracking-tight">Campaigns</h1>
        <Link
          href="/campaigns/new"
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500"
        >
          New campaign
        </Link>
      </div>
      <CampaignList />
    </HydrateClient>
  );
}
