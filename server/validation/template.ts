export type RenderResult = { ok: true; body: string } | { ok: false; missing: string[] };

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/**
 * Fills {{name}} placeholders; a missing variable is reported, not thrown.
 * An empty value counts as missing: "Hi ," is not what anyone meant to send.
 */
export function renderTemplate(template: string, variables: Record<string, string>): RenderResult {
  const missing = new Set<string>();
  const body = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = variables[name];
    if (value === undefined || value === "") {
      missing.add(name);
      return "";
    }
    return value;
  });
  return missing.size > 0 ? { ok: false, missing: [...missing] } : { ok: true, body };
}
