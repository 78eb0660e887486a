import { describe, expect, it } from "vitest";
import { keywordOf } from "./keywords";

describe("keywordOf", () => {
  it("takes the opt-out words whatever their case, spacing and punctuation", () => {
    for (const text of [
      "STOP",
      "stop",
      " Stop. ",
      "STOP!",
      "stop all",
      "Unsubscribe",
      "cancel",
      "END",
      "quit",
      "Opt-out",
      "OPT OUT",
      "revoke",
      "ＳＴＯＰ",
    ]) {
      expect(keywordOf(text), text).toBe("OPT_OUT");
    }
  });

  it("takes START and UNSTOP as opting back in, HELP and INFO as a request for help", () => {
    expect(keywordOf("Start")).toBe("OPT_IN");
    expect(keywordOf("unstop")).toBe("OPT_IN");
    expect(keywordOf("help?")).toBe("HELP");
    expect(keywordOf("INFO")).toBe("HELP");
  });

  it("leaves alone a reply that only uses the word", () => {
    for (const text of ["don't stop", "stop sending me these please", "STOPS", "Yes", "", "stopp"]) {
      expect(keywordOf(text), text).toBeNull();
    }
  });
});
