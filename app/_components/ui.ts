// Class names shared by the console's forms and tables (providers page, client webhook panel).
export const inputBase =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500";
export const input = `mt-1 ${inputBase}`;
export const labelText = "block text-sm font-medium";
export const hint = "mt-1 block text-xs text-slate-500";
export const primaryButton =
  "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50";
export const smallButton =
  "rounded-md border border-slate-300 px-2 py-1 text-xs text-slate-700 hover:bg-slate-50 disabled:opacity-50";
export const th = "px-2.5 py-3";
export const td = "px-2.5 py-3";

/** The error to show for a failed mutation: zod's field messages when the input was refused, else the message. */
export function errorText(error: { message: string; data?: { zodError?: unknown } | null } | null): string | null {
  if (!error) return null;
  const zod = error.data?.zodError as
    { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null | undefined;
  const fieldMessages = Object.entries(zod?.fieldErrors ?? {}).flatMap(([field, messages]) =>
    (messages ?? []).map((m) => `${field}: ${m}`),
  );
  const all = [...(zod?.formErrors ?? []), ...fieldMessages];
  return all.length > 0 ? all.join("; ") : error.message;
}
