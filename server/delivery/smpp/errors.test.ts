import { describe, expect, it } from "vitest";
import smpp from "smpp";
import { classifySubmitStatus, SUBMIT_STATUS_CLASSIFICATION } from "./errors";
import { STATUS, statusName } from "./protocol";

describe("classifySubmitStatus", () => {
  it("retries throttling inside the client", () => {
    expect(classifySubmitStatus(STATUS.ESME_RTHROTTLED)).toEqual({
      kind: "transient",
      throttle: true,
      reason: "ESME_RTHROTTLED",
    });
  });

  it.each(["ESME_RMSGQFUL", "ESME_RSYSERR", "ESME_RINVBNDSTS", "ESME_RX_T_APPN"])("%s is transient", (name) => {
    expect(classifySubmitStatus(smpp.errors[name]!)).toEqual({ kind: "transient", reason: name });
  });

  it.each(["ESME_RINVDSTADR", "ESME_RSUBMITFAIL", "ESME_RINVSRCADR", "ESME_RINVDCS", "ESME_RX_P_APPN"])(
    "%s is permanent",
    (name) => {
      expect(classifySubmitStatus(smpp.errors[name]!)).toEqual({ kind: "permanent", reason: name });
    },
  );

  it("treats an unknown vendor status as permanent, named by its code", () => {
    expect(classifySubmitStatus(0x0400)).toEqual({ kind: "permanent", reason: "ESME_0x0400" });
  });

  it("uses the same codes as the smpp package", () => {
    for (const [name, code] of Object.entries(STATUS)) expect(smpp.errors[name], name).toBe(code);
    for (const code of Object.keys(SUBMIT_STATUS_CLASSIFICATION)) expect(statusName(Number(code))).toMatch(/^ESME_R/);
  });
});
