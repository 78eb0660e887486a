// Shared by the server prefetch and the client list so both use one query key.
export type DeadLetterFilter = { sourceTopic?: string; status: "pending" | "replayed" | "all" };

export function deadLetterListInput(filter: DeadLetterFilter) {
  return { status: filter.status, limit: 50, ...(filter.sourceTopic ? { sourceTopic: filter.sourceTopic } : {}) };
}

export const deadLetterListPaging = {
  getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor,
};
