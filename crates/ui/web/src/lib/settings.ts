// Advanced settings kept in the browser (Kibana keeps these in its config object).

/** Rows a Discover page loads at a time: 50, like Kibana; `localStorage["sluice:discover:pageSize"]`
 * overrides it (1..10000; the end-to-end test raises it to page past 10,000 rows quickly). */
export function pageSize(): number {
  let raw: string | null = null;
  try {
    raw = window.localStorage.getItem('sluice:discover:pageSize');
  } catch {
    raw = null;
  }
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 50;
}
