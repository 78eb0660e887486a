// Shared by the server prefetch and the client list so both use one query key.
export function invoiceListInput(clientId: string | null) {
  return { limit: 25, ...(clientId ? { clientId } : {}) };
}

export const invoiceListPaging = { getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor };
