/**
 * Dates render the same on the server and in the browser (no locale or
 * timezone of either side), so hydration never disagrees.
 */
export function formatDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
