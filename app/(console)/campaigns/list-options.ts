// Shared by the server prefetch and the client list so both use one query key.
export const CAMPAIGN_LIST_INPUT = { limit: 25 };
export const campaignListPaging = { getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor };
