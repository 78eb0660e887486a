// Redis keys of the delivery stage, all under `delivery:<topic prefix>` so that installs (and test runs) sharing a
// Redis stay apart.

/** Provider message id (any segment) → Volley message id. */
export const pmKey = (prefix: string, providerId: string, pmid: string) => `delivery:${prefix}pm:${providerId}:${pmid}`;

/** A receipt that arrived before its id was mapped (JSON of the receipt). */
export const earlyKey = (prefix: string, providerId: string, pmid: string) =>
  `delivery:${prefix}early:${providerId}:${pmid}`;

/** Every parked receipt (`<providerId>:<pmid>`, scored by when it was parked), so a sweep can retry them. */
export const earlyIndexKey = (prefix: string) => `delivery:${prefix}early-index`;

/** Per message: `total` parts, `done` once its final status was decided. */
export const tallyKey = (prefix: string, messageId: string) => `delivery:${prefix}parts:${messageId}`;

/** Per message: the part ids that reported DELIVERED. */
export const deliveredPartsKey = (prefix: string, messageId: string) => `delivery:${prefix}delivered:${messageId}`;

export const EARLY_TTL_SECONDS = 3_600;

/** Live figures of one provider for the console (bulk-proc rewrites it every second, 30 s TTL; absent = no worker). */
export const providerStatusKey = (prefix: string, providerId: string) => `delivery:${prefix}provider:${providerId}`;

/** Per claimed message: which bulk-proc holds it and whether it went to a carrier (fence.ts). */
export const fenceKey = (prefix: string, messageId: string) => `delivery:${prefix}fence:${messageId}`;
