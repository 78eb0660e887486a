// Shared by the server prefetch and the client list so both use one query key.
/** "" = every opt-out, "global" = those for all clients, otherwise a client id. */
export type OptOutFilter = string;

export function optOutListInput(filter: OptOutFilter) {
  if (filter === "global") return { limit: 50, scope: "global" as const };
  return { limit: 50, ...(filter ? { clientId: filter } : {}) };
}

export const optOutListPaging = { getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor };
