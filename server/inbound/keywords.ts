import type { InboundKeyword } from "@prisma/client";

// The keywords US carriers (CTIA) and the FCC's 2025 revocation rule name, and what UK/EU aggregators take too.
// A keyword counts when it is the whole message, whatever its case, spacing or trailing punctuation ("Stop.",
// "stop all", "OPT OUT"): a reply that merely uses the word ("don't stop") is a reply, not an instruction.
const KEYWORDS: Record<string, InboundKeyword> = {
  STOP: "OPT_OUT",
  STOPALL: "OPT_OUT",
  UNSUBSCRIBE: "OPT_OUT",
  CANCEL: "OPT_OUT",
  END: "OPT_OUT",
  QUIT: "OPT_OUT",
  REVOKE: "OPT_OUT",
  OPTOUT: "OPT_OUT",
  START: "OPT_IN",
  UNSTOP: "OPT_IN",
  HELP: "HELP",
  INFO: "HELP",
};

/** The keyword a handset's message is, or null for any other text. */
export function keywordOf(text: string): InboundKeyword | null {
  const word = text
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s\p{P}]+/gu, "");
  return KEYWORDS[word] ?? null;
}
