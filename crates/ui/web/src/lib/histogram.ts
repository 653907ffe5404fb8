// Discover's "Hits over time" as geometry: bars, axis ticks and labels, and pixels back to times.
// Pure functions of the buckets, the time range and the chart's size (tested without a browser);
// pages/discover/Histogram.tsx draws them as SVG, so Discover never loads ECharts.

import type { Bucket } from '../api';
import { formatNumber, formatTime } from './format';
import type { Interval } from './interval';

/** Space around the plot for the axis labels (CSS px). The e2e test drags inside it. */
export const MARGIN = { left: 48, right: 16, top: 12, bottom: 28 } as const;

/** Between neighbouring bars: this share of a bucket's width. */
const GAP = 0.1;

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

export interface Plot {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Bar {
  /** The bucket's start and end (epoch ms, end exclusive). */
  key: number;
  end: number;
  count: number;
  /** The drawn rectangle. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The bucket's whole slot on the x axis (hover and click find a bar by it). */
  slotStart: number;
  slotEnd: number;
}

export interface Tick {
  value: number;
  /** x for the time axis, y for the count axis. */
  pos: number;
  label: string;
}

export interface HistogramGeometry {
  plot: Plot;
  bars: Bar[];
  xTicks: Tick[];
  yTicks: Tick[];
}

export interface HistogramInput {
  buckets: readonly Bucket[];
  interval: Interval;
  from: number;
  to: number;
  width: number;
  height: number;
}

/** The end of the bucket at `key` (calendar intervals are UTC calendar units, as the server asks). */
export function bucketEnd(key: number, interval: Interval): number {
  const unit = interval.name.slice(-1);
  const n = Number.parseInt(interval.name, 10) || 1;
  const d = new Date(key);
  switch (unit) {
    case 'M':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
    case 'y':
      return Date.UTC(d.getUTCFullYear() + n, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
    default:
      return key + interval.ms; // fixed intervals, and 1w (7 days)
  }
}

/** The plot inside a chart of `width` × `height`. */
export function plotArea(width: number, height: number): Plot {
  return {
    left: MARGIN.left,
    top: MARGIN.top,
    width: Math.max(0, width - MARGIN.left - MARGIN.right),
    height: Math.max(0, height - MARGIN.top - MARGIN.bottom),
  };
}

/** Time → x. */
export function timeToX(t: number, from: number, to: number, plot: Plot): number {
  const span = to > from ? to - from : 1;
  return plot.left + ((t - from) / span) * plot.width;
}

/** x → time (whole ms, not clamped). */
export function xToTime(x: number, from: number, to: number, plot: Plot): number {
  const span = to > from ? to - from : 1;
  return Math.round(from + ((x - plot.left) / (plot.width || 1)) * span);
}

export function histogramGeometry({ buckets, interval, from, to, width, height }: HistogramInput): HistogramGeometry {
  const plot = plotArea(width, height);
  const max = buckets.reduce((m, b) => Math.max(m, b.count), 0);
  const yTicks = countTicks(max, plot);
  const yMax = yTicks[yTicks.length - 1]!.value;
  const bottom = plot.top + plot.height;
  const right = plot.left + plot.width;
  const bars: Bar[] = [];
  for (const b of buckets) {
    const end = bucketEnd(b.key, interval);
    if (end <= from || b.key >= to) continue;
    const slotStart = Math.max(plot.left, timeToX(b.key, from, to, plot));
    const slotEnd = Math.min(right, timeToX(end, from, to, plot));
    const full = timeToX(end, from, to, plot) - timeToX(b.key, from, to, plot);
    const inset = (full * GAP) / 2;
    const x0 = Math.max(plot.left, timeToX(b.key, from, to, plot) + inset);
    const x1 = Math.min(right, timeToX(end, from, to, plot) - inset);
    let h = yMax > 0 ? (b.count / yMax) * plot.height : 0;
    if (b.count > 0) h = Math.max(h, 1); // one document still shows
    bars.push({
      key: b.key,
      end,
      count: b.count,
      x: x0,
      y: bottom - h,
      width: Math.max(b.count > 0 ? 1 : 0, x1 - x0),
      height: h,
      slotStart,
      slotEnd,
    });
  }
  return { plot, bars, xTicks: timeTicks(from, to, plot), yTicks };
}

// --- the count axis ---------------------------------------------------------------------------

/** A 1, 2 or 5 × 10^k step (at least 1: counts are whole) giving about four intervals up to `max`. */
export function niceStep(max: number): number {
  const raw = max / 4;
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A count label that fits the 48 px margin: `9,500`, `25k`, `1.5M`. */
export function formatCount(n: number): string {
  if (n < 10_000) return formatNumber(n);
  if (n < 1_000_000) return `${Number((n / 1000).toFixed(1))}k`;
  return `${Number((n / 1_000_000).toFixed(2))}M`;
}

function countTicks(max: number, plot: Plot): Tick[] {
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: Tick[] = [];
  for (let v = 0; v <= top; v += step) {
    ticks.push({ value: v, pos: plot.top + plot.height - (v / top) * plot.height, label: formatCount(v) });
  }
  return ticks;
}

// --- the time axis (labels in the browser's time zone) ----------------------------------------

type Unit = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year';

/** Tick steps, finest first, with the widest label each may show (in characters). */
const STEPS: ReadonlyArray<{ unit: Unit; n: number; ms: number; chars: number }> = [
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'second' as const, n, ms: n * S, chars: 8 })),
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'minute' as const, n, ms: n * MIN, chars: 6 })),
  ...[1, 2, 3, 6, 12].map((n) => ({ unit: 'hour' as const, n, ms: n * H, chars: 6 })),
  ...[1, 2, 7, 14].map((n) => ({ unit: 'day' as const, n, ms: n * D, chars: 6 })),
  ...[1, 2, 3, 6].map((n) => ({ unit: 'month' as const, n, ms: n * 30 * D, chars: 4 })),
  ...[1, 2, 5, 10, 20, 50, 100].map((n) => ({ unit: 'year' as const, n, ms: n * 365 * D, chars: 4 })),
];

/** About the width of a character of the 11 px axis labels, and the space between two labels. */
const CHAR_PX = 7;
const LABEL_GAP_PX = 16;
const MAX_TICKS = 200;

/** The finest step whose labels do not overlap over `plot.width`. */
export function tickStep(from: number, to: number, plotWidth: number): (typeof STEPS)[number] {
  const span = Math.max(to - from, 1);
  for (const step of STEPS) {
    const spacing = (step.ms / span) * plotWidth;
    if (spacing >= step.chars * CHAR_PX + LABEL_GAP_PX) return step;
  }
  return STEPS[STEPS.length - 1]!;
}

/** The first local time at or before `t` on the step's grid (`HH:00` every 3 hours, the 1st, ...). */
function floorLocal(t: number, unit: Unit, n: number): Date {
  const d = new Date(t);
  const down = (v: number, base = 0): number => Math.floor((v - base) / n) * n + base;
  switch (unit) {
    case 'second':
      d.setMilliseconds(0);
      d.setSeconds(down(d.getSeconds()));
      break;
    case 'minute':
      d.setSeconds(0, 0);
      d.setMinutes(down(d.getMinutes()));
      break;
    case 'hour':
      d.setMinutes(0, 0, 0);
      d.setHours(down(d.getHours()));
      break;
    case 'day':
      d.setHours(0, 0, 0, 0);
      d.setDate(down(d.getDate(), 1)); // the 1st, 8th, 15th, ... for weeks
      break;
    case 'month':
      d.setHours(0, 0, 0, 0);
      d.setDate(1);
      d.setMonth(down(d.getMonth()));
      break;
    case 'year':
      d.setHours(0, 0, 0, 0);
      d.setMonth(0, 1);
      d.setFullYear(down(d.getFullYear()));
      break;
  }
  return d;
}

const UNIT_MS: Partial<Record<Unit, number>> = { second: S, minute: MIN, hour: H };

/** The next tick after `d`, on the step's grid in local time. */
function nextLocal(d: Date, unit: Unit, n: number): Date {
  const fixed = UNIT_MS[unit];
  if (fixed) {
    // n units of real time on, back to the grid (a daylight saving change moves local hours)
    const next = floorLocal(d.getTime() + n * fixed, unit, n);
    return next.getTime() > d.getTime() ? next : new Date(d.getTime() + n * fixed);
  }
  const e = new Date(d.getTime());
  switch (unit) {
    case 'day': {
      e.setDate(e.getDate() + n);
      // days restart at each month's 1st (1, 8, 15, 22, then the 1st): never closer than n days
      const first = new Date(e.getFullYear(), e.getMonth() + (e.getDate() === 1 ? 0 : 1), 1);
      if (first.getTime() - e.getTime() < n * D - H) return first;
      break;
    }
    case 'month':
      e.setMonth(e.getMonth() + n);
      break;
    default:
      e.setFullYear(e.getFullYear() + n);
      break;
  }
  return e;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (v: number): string => String(v).padStart(2, '0');

/** A tick's label: the coarsest unit that changes there (`Dec 5` at midnight, `2027` on Jan 1). */
export function tickLabel(t: number, unit: Unit): string {
  const d = new Date(t);
  const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0 && d.getMilliseconds() === 0;
  const newYear = midnight && d.getMonth() === 0 && d.getDate() === 1;
  if (unit === 'year' || newYear) return String(d.getFullYear());
  if (unit === 'month') return MONTHS[d.getMonth()]!;
  if (midnight) return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return unit === 'second' ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** Ticks on local-time boundaries inside [from, to], spaced so their labels do not overlap. */
export function timeTicks(from: number, to: number, plot: Plot): Tick[] {
  if (!(to > from) || plot.width <= 0) return [];
  const { unit, n, ms } = tickStep(from, to, plot.width);
  const ticks: Tick[] = [];
  for (let d = floorLocal(from, unit, n); d.getTime() <= to && ticks.length < MAX_TICKS; d = nextLocal(d, unit, n)) {
    const t = d.getTime();
    if (t < from) continue;
    // a daylight saving change can put two hour ticks an hour apart: keep the first
    const last = ticks[ticks.length - 1];
    if (last && UNIT_MS[unit] && t - last.value < ms * 0.75) continue;
    ticks.push({ value: t, pos: timeToX(t, from, to, plot), label: tickLabel(t, unit) });
  }
  return ticks;
}

// --- pointer and keyboard ---------------------------------------------------------------------

/** The bar whose slot holds `x`, or -1. */
export function barAt(bars: readonly Bar[], x: number): number {
  return bars.findIndex((b) => x >= b.slotStart && x < b.slotEnd);
}

/** Brushing snaps nothing: the range is the brushed span, clamped to the shown range, whole ms. */
export function brushToRange(coordRange: readonly number[], from: number, to: number): { from: number; to: number } | null {
  if (coordRange.length < 2) return null;
  const a = Math.max(from, Math.min(to, Math.round(Math.min(coordRange[0]!, coordRange[1]!))));
  const b = Math.max(from, Math.min(to, Math.round(Math.max(coordRange[0]!, coordRange[1]!))));
  return b > a ? { from: a, to: b } : null;
}

/** A drag from `x0` to `x1` (CSS px in the chart) as a time range, or null for a click. */
export function brushPixelsToRange(x0: number, x1: number, from: number, to: number, plot: Plot): { from: number; to: number } | null {
  if (Math.abs(x1 - x0) < 3) return null;
  return brushToRange([xToTime(x0, from, to, plot), xToTime(x1, from, to, plot)], from, to);
}

/** Bars `a..b` (either order) as the range to zoom to: their buckets, clamped to the shown range. */
export function barsToRange(bars: readonly Bar[], a: number, b: number, from: number, to: number): { from: number; to: number } | null {
  const first = bars[Math.min(a, b)];
  const last = bars[Math.max(a, b)];
  if (!first || !last) return null;
  const start = Math.max(from, first.key);
  const end = Math.min(to, last.end - 1);
  return end > start ? { from: start, to: end } : null;
}

// --- words --------------------------------------------------------------------------------------

/** One bucket for a screen reader or the tooltip: `Dec 5, 2026 @ 10:00:00.000: 1,234 hits`. */
export function describeBar(bar: Pick<Bar, 'key' | 'count'>): string {
  return `${formatTime(bar.key)}: ${formatNumber(bar.count)} ${bar.count === 1 ? 'hit' : 'hits'}`;
}

/** The chart in one sentence (its accessible description; the data table has every number). */
export function describeHistogram(buckets: readonly Bucket[], interval: Interval, from: number, to: number): string {
  const total = buckets.reduce((s, b) => s + b.count, 0);
  const range = `from ${formatTime(from)} to ${formatTime(to)}`;
  if (buckets.length === 0) return `Bar chart of hits per ${interval.label} ${range}: no buckets.`;
  const top = buckets.reduce((m, b) => (b.count > m.count ? b : m), buckets[0]!);
  const bars = `${formatNumber(buckets.length)} ${buckets.length === 1 ? 'bar' : 'bars'}`;
  const most = total > 0 ? ` The most, ${formatNumber(top.count)}, at ${formatTime(top.key)}.` : '';
  return `Bar chart of hits per ${interval.label} ${range}, ${bars}, ${formatNumber(total)} hits in all.${most}`;
}
