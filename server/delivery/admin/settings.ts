import { parseProviderSettings } from "../providers/schemas";
import { SECRET_MASK, SECRET_SETTING_KEYS } from "./schemas";

// Provider settings as the console edits them. They are validated with the
// schema bulk-proc reads them with (providers/schemas.ts), so the console can
// never store settings a worker would skip.

type Settings = Record<string, unknown>;

function isSecretKey(key: string): boolean {
  return (SECRET_SETTING_KEYS as readonly string[]).includes(key);
}

/** What the browser may see: each set secret reads as SECRET_MASK, an unset one as "". */
export function maskSettings(settings: unknown): Settings {
  if (!settings || typeof settings !== "object" || Array.isArray(settings)) return {};
  return Object.fromEntries(
    Object.entries(settings as Settings).map(([k, v]) => [
      k,
      isSecretKey(k) ? (typeof v === "string" && v !== "" ? SECRET_MASK : "") : v,
    ]),
  );
}

/**
 * A secret the form sends empty (or as the mask) keeps its stored value: the
 * console never has it to send back. Only within one kind, since another
 * kind's secret means something else.
 */
export function mergeSecrets(incoming: Settings, stored: unknown): Settings {
  const merged: Settings = { ...incoming };
  const old = stored && typeof stored === "object" ? (stored as Settings) : {};
  for (const key of SECRET_SETTING_KEYS) {
    const value = merged[key];
    if (value === undefined || value === "" || value === SECRET_MASK) {
      if (typeof old[key] === "string") merged[key] = old[key];
      else if (value === SECRET_MASK) delete merged[key];
    }
  }
  return merged;
}

/** Secret keys whose value this change sets (for the audit entry, which never holds secrets). */
export function changedSecrets(incoming: Settings, stored: unknown): string[] {
  const old = stored && typeof stored === "object" ? (stored as Settings) : {};
  return SECRET_SETTING_KEYS.filter((k) => typeof incoming[k] === "string" && incoming[k] !== old[k]);
}

export type SettingsCheck = { ok: true; settings: Settings } | { ok: false; message: string };

/** Validates settings for the kind; the message names every bad field. */
export function checkSettings(kind: "SMPP" | "HTTP", settings: Settings): SettingsCheck {
  const parsed = parseProviderSettings(kind, settings);
  if (parsed.success) return { ok: true, settings: parsed.data as Settings };
  const problems = parsed.error.issues.map((i) =>
    i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message,
  );
  return { ok: false, message: `Invalid ${kind} settings: ${problems.join("; ")}` };
}
