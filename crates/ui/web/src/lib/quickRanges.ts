// Kibana's "Commonly used" time ranges.

export const QUICK_RANGES: ReadonlyArray<{ from: string; label: string }> = [
  { from: 'now-15m', label: 'Last 15 minutes' },
  { from: 'now-30m', label: 'Last 30 minutes' },
  { from: 'now-1h', label: 'Last 1 hour' },
  { from: 'now-4h', label: 'Last 4 hours' },
  { from: 'now-24h', label: 'Last 24 hours' },
  { from: 'now-7d', label: 'Last 7 days' },
  { from: 'now-30d', label: 'Last 30 days' },
  { from: 'now/d', label: 'Today' },
];

/** The quick range a from/to pair is, if any. */
export function quickRangeLabel(from: string, to: string): string | null {
  if (from === 'now/d' && to === 'now/d') return 'Today';
  if (to !== 'now') return null;
  return QUICK_RANGES.find((r) => r.from === from && r.from !== 'now/d')?.label ?? null;
}
