import { STATUS, statusName } from "./protocol";

export type FailureKind = "transient" | "permanent";

/**
 * What a submit_sm_resp error status means for the message. `throttle` is transient and retried inside the client
 * with backoff; other transient failures go back to the caller, which may retry later or on another provider;
 * permanent ones fail the message with the status as its reason.
 */
export type Classification = { kind: FailureKind; throttle?: true };

export const SUBMIT_STATUS_CLASSIFICATION: Readonly<Record<number, Classification>> = {
  [STATUS.ESME_RTHROTTLED]: { kind: "transient", throttle: true },
  [STATUS.ESME_RMSGQFUL]: { kind: "transient" },
  [STATUS.ESME_RSYSERR]: { kind: "transient" },
  // Bound state lost on the carrier's side (e.g. it restarted): rebinding fixes it.
  [STATUS.ESME_RINVBNDSTS]: { kind: "transient" },
  [STATUS.ESME_RX_T_APPN]: { kind: "transient" },
  [STATUS.ESME_RUNKNOWNERR]: { kind: "transient" },
  [STATUS.ESME_RDELIVERYFAILURE]: { kind: "transient" },
  [STATUS.ESME_RINVDSTADR]: { kind: "permanent" },
  [STATUS.ESME_RINVDSTTON]: { kind: "permanent" },
  [STATUS.ESME_RINVSRCADR]: { kind: "permanent" },
  [STATUS.ESME_RINVSRCTON]: { kind: "permanent" },
  [STATUS.ESME_RSUBMITFAIL]: { kind: "permanent" },
  [STATUS.ESME_RINVMSGLEN]: { kind: "permanent" },
  [STATUS.ESME_RINVESMCLASS]: { kind: "permanent" },
  [STATUS.ESME_RINVDCS]: { kind: "permanent" },
  [STATUS.ESME_RINVEXPIRY]: { kind: "permanent" },
  [STATUS.ESME_RX_P_APPN]: { kind: "permanent" },
  [STATUS.ESME_RX_R_APPN]: { kind: "permanent" },
};

/**
 * Statuses not in the table are permanent: an unknown vendor code retried forever would hold the message, and a
 * permanent failure is visible and refundable.
 */
export function classifySubmitStatus(status: number): Classification & { reason: string } {
  return { ...(SUBMIT_STATUS_CLASSIFICATION[status] ?? { kind: "permanent" }), reason: statusName(status) };
}
