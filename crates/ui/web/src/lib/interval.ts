// Kibana's automatic histogram interval: aim at `histogram:barTarget` (50) buckets, choose the
// nearest "pretty" interval, and never exceed `histogram:maxBars` (100).

export interface Interval {
  /** As the API takes it: a fixed `Ns|Nm|Nh|Nd` or calendar `1w|1M|1y` interval. */
  name: string;
  /** Approximate length in milliseconds (exact for fixed intervals). */
  ms: number;
  /** For the caption under the chart: "30 minutes". */
  label: string;
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

export const BAR_TARGET = 50;
export const MAX_BARS = 100;

/** Pretty intervals, ascending, each with the largest ideal bucket length that rounds to it. */
const RULES: ReadonlyArray<readonly [bound: number, interval: Interval]> = [
  [5 * S, { name: '1s', ms: S, label: 'second' }],
  [7.5 * S, { name: '5s', ms: 5 * S, label: '5 seconds' }],
  [15 * S, { name: '10s', ms: 10 * S, label: '10 seconds' }],
  [45 * S, { name: '30s', ms: 30 * S, label: '30 seconds' }],
  [3 * M, { name: '1m', ms: M, label: 'minute' }],
  [9 * M, { name: '5m', ms: 5 * M, label: '5 minutes' }],
  [20 * M, { name: '10m', ms: 10 * M, label: '10 minutes' }],
  [45 * M, { name: '30m', ms: 30 * M, label: '30 minutes' }],
  [2 * H, { name: '1h', ms: H, label: 'hour' }],
  [6 * H, { name: '3h', ms: 3 * H, label: '3 hours' }],
  [24 * H, { name: '12h', ms: 12 * H, label: '12 hours' }],
  [7 * D, { name: '1d', ms: D, label: 'day' }],
  [21 * D, { name: '1w', ms: 7 * D, label: 'week' }],
  [365 * D, { name: '1M', ms: 30 * D, label: 'month' }],
  [Infinity, { name: '1y', ms: 365 * D, label: 'year' }],
];

/** The interval Kibana's "Auto" picks for a range of `durationMs`. */
export function autoInterval(durationMs: number): Interval {
  const ideal = Math.max(durationMs, 0) / BAR_TARGET;
  let index = RULES.findIndex(([bound]) => ideal <= bound);
  // Step up while the range would need more than MAX_BARS buckets.
  while (index < RULES.length - 1 && durationMs / RULES[index]![1].ms > MAX_BARS) index += 1;
  return RULES[index]![1];
}

/** Every interval the rules can pick, ascending (for tests and pickers). */
export function allIntervals(): Interval[] {
  return RULES.map(([, interval]) => interval);
}
