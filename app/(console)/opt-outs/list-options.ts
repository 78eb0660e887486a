// Shared by the server prefetch and the client list so both use one query key.
/** "" = every opt-out, "global" = those for all clients, otherwise a client id. */
export type OptOutFilter = string;

/** `msisdn`: one number only ("" = any). */
export function optOutListInput(filter: OptOutFilter, msisdn = "") {
  const number = msisdn ? { msisdn } : {};
  if (filter === "global") return { limit: 50, scope: "global" as const, ...number };
  return { limit: 50, ...(filter ? { clientId: filter } : {}), ...number };
}

export const optOutListPaging = { getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor };
