// The server's tabified answer (columns and rows, like Kibana's `tabify`) read into what a chart
// draws: categories and series (xy charts), slices (pie), values (metric), cells (heat map); and
// back from a clicked point to the filters that select it (click-to-filter). Pure functions.

import type { Cell, VisColumn, VisTable } from '../../api';
import { formatNumber, formatTime } from '../format';
import type { Filter } from '../state';
import { OTHER_COLOR, paletteColor } from './palette';
import type { ChartType } from './spec';

export const OTHER_KEY = '__other__';
export const MISSING_KEY = '__missing__';

/** Whether column `c` belongs to the agg with id `aggId` (`"2"`, or `"2.95"` for a percentile). */
export function columnOf(c: VisColumn, aggId: string): boolean {
  return c.id === aggId || c.id.startsWith(`${aggId}.`);
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function formatCell(c: VisColumn, v: Cell): string {
  if (v === null || v === undefined) return c.kind === 'bucket' ? 'Missing' : '-';
  if (c.kind === 'bucket' && v === OTHER_KEY) return 'Other';
  if (c.kind === 'bucket' && v === MISSING_KEY) return 'Missing';
  if (c.format === 'date' && typeof v === 'number') return formatTime(v);
  if (c.format === 'date' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return formatTime(Date.parse(v));
  if (c.format === 'day_of_week' && typeof v === 'number') return WEEKDAYS[v - 1] ?? String(v);
  if (c.format === 'hour_of_day' && typeof v === 'number') return `${pad(v)}:00`;
  if (typeof v === 'number') return formatNumber(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A numeric cell's value (metrics), or null. */
export function numberOf(v: Cell): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** A stable key for a bucket cell. */
export function cellKey(v: Cell): string {
  return typeof v === 'string' ? `s${v}` : JSON.stringify(v ?? null);
}

export interface Series {
  name: string;
  /** The split's "Other" bucket (drawn in a neutral colour). */
  other: boolean;
  /** The metric column it plots. */
  metric: VisColumn;
  /** The split value (null when there is no split bucket). */
  split: Cell;
  values: Array<number | null>;
  rows: Array<number | null>;
}

export interface XYModel {
  kind: 'xy';
  x: VisColumn | null;
  split: VisColumn | null;
  categories: Cell[];
  labels: string[];
  series: Series[];
  /** The x bucket is a date histogram: categories are epoch ms. */
  time: boolean;
  /** The date histogram's bucket width (ms), when known. */
  intervalMs: number | null;
}

export interface Slice {
  name: string;
  /** The "Other" bucket (drawn in a neutral colour). */
  other: boolean;
  value: number;
  row: number;
  /** Parent slice index in the previous ring (-1 at the centre ring). */
  parent: number;
  key: string;
}

export interface PieModel {
  kind: 'pie';
  metric: VisColumn | null;
  rings: Slice[][];
  levels: VisColumn[];
}

export interface MetricModel {
  kind: 'metric';
  items: Array<{ label: string; value: string; row: number }>;
}

export interface HeatModel {
  kind: 'heatmap';
  xLabels: string[];
  yLabels: string[];
  /** [x index, y index, value, row]. */
  cells: Array<[number, number, number, number]>;
  max: number;
  xName: string;
  yName: string;
  metricName: string;
}

export interface TableModel {
  kind: 'table';
}

export type ChartModel = XYModel | PieModel | MetricModel | HeatModel | TableModel;

const metricColumns = (table: VisTable): VisColumn[] => table.columns.filter((c) => c.kind === 'metric');
const indexOf = (table: VisTable, c: VisColumn): number => table.columns.indexOf(c);

/** Milliseconds of a fixed interval (`30s`, `5m`, `3h`, `1d`), or null (calendar/auto). */
export function intervalToMs(interval: string | null | undefined): number | null {
  if (!interval) return null;
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(interval);
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

export function toModel(type: ChartType, table: VisTable): ChartModel {
  switch (type) {
    case 'bar':
    case 'hbar':
    case 'line':
    case 'area':
      return xyModel(table);
    case 'pie':
      return pieModel(table);
    case 'metric':
      return metricModel(table);
    case 'heatmap':
      return heatModel(table);
    case 'table':
      return { kind: 'table' };
  }
}

/** Bars, lines and areas: the first bucket column is the x axis, the second splits the series (the
 * API's nesting order: x, then split). */
export function xyModel(table: VisTable): XYModel {
  const [x = null, split = null] = table.columns.filter((c) => c.kind === 'bucket');
  const metrics = metricColumns(table);
  const xi = x ? indexOf(table, x) : -1;
  const si = split ? indexOf(table, split) : -1;
  const time = x?.format === 'date';

  const catIndex = new Map<string, number>();
  const categories: Cell[] = [];
  for (const row of table.rows) {
    const v = xi >= 0 ? row[xi]! : null;
    const k = cellKey(v);
    if (!catIndex.has(k)) {
      catIndex.set(k, categories.length);
      categories.push(v);
    }
  }
  if (time) {
    const order = categories.map((c, i) => [c, i] as const).sort((a, b) => (numberOf(a[0]) ?? 0) - (numberOf(b[0]) ?? 0));
    categories.splice(0, categories.length, ...order.map((o) => o[0]));
    catIndex.clear();
    categories.forEach((c, i) => catIndex.set(cellKey(c), i));
  }

  const seriesIndex = new Map<string, Series>();
  const series: Series[] = [];
  for (let r = 0; r < table.rows.length; r += 1) {
    const row = table.rows[r]!;
    const splitValue = si >= 0 ? row[si]! : null;
    const ci = catIndex.get(cellKey(xi >= 0 ? row[xi]! : null))!;
    for (const m of metrics) {
      const key = `${cellKey(splitValue)}\u0000${m.id}`;
      let s = seriesIndex.get(key);
      if (!s) {
        const splitName = split ? formatCell(split, splitValue) : '';
        const name = split ? (metrics.length > 1 ? `${splitName} - ${m.name}` : splitName) : m.name;
        s = { name, other: split !== null && splitValue === OTHER_KEY, metric: m, split: splitValue, values: categories.map(() => null), rows: categories.map(() => null) };
        seriesIndex.set(key, s);
        series.push(s);
      }
      s.values[ci] = numberOf(row[indexOf(table, m)]!);
      s.rows[ci] = r;
    }
  }
  const intervalMs =
    intervalToMs(typeof table.meta?.interval === 'string' ? table.meta.interval : null) ?? (time ? smallestStep(categories) : null);
  return {
    kind: 'xy',
    x,
    split,
    categories,
    labels: categories.map((c) => (x ? shortLabel(x, c, intervalMs) : 'All')),
    series,
    time,
    intervalMs,
  };
}

function smallestStep(categories: Cell[]): number | null {
  let best: number | null = null;
  for (let i = 1; i < categories.length; i += 1) {
    const d = (numberOf(categories[i]!) ?? 0) - (numberOf(categories[i - 1]!) ?? 0);
    if (d > 0 && (best === null || d < best)) best = d;
  }
  return best;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An axis label: times as short as the interval allows (`14:30`, `Dec 4`, `Dec 4 14:00`). */
export function shortLabel(c: VisColumn, v: Cell, intervalMs: number | null): string {
  if (c.format === 'date' && typeof v === 'number') {
    const d = new Date(v);
    const day = `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()}`;
    if (intervalMs !== null && intervalMs >= 86_400_000) return day;
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return d.getHours() === 0 && d.getMinutes() === 0 ? `${day} ${time}` : time;
  }
  return formatCell(c, v);
}

export function pieModel(table: VisTable): PieModel {
  const levels = table.columns.filter((c) => c.kind === 'bucket');
  const metric = metricColumns(table)[0] ?? null;
  const mi = metric ? indexOf(table, metric) : -1;
  const rings: Slice[][] = levels.map(() => []);
  const index: Array<Map<string, number>> = levels.map(() => new Map());
  if (levels.length === 0) {
    const row = table.rows[0];
    const value = row && mi >= 0 ? numberOf(row[mi]!) ?? 0 : 0;
    return { kind: 'pie', metric, levels, rings: [[{ name: metric?.name ?? 'All', other: false, value, row: 0, parent: -1, key: 'all' }]] };
  }
  for (let r = 0; r < table.rows.length; r += 1) {
    const row = table.rows[r]!;
    const value = mi >= 0 ? numberOf(row[mi]!) ?? 0 : 0;
    let parent = -1;
    let path = '';
    levels.forEach((col, l) => {
      const v = row[indexOf(table, col)]!;
      path = `${path}\u0000${cellKey(v)}`;
      let i = index[l]!.get(path);
      if (i === undefined) {
        i = rings[l]!.length;
        index[l]!.set(path, i);
        rings[l]!.push({ name: formatCell(col, v), other: v === OTHER_KEY, value: 0, row: r, parent, key: path });
      }
      // Inner rings sum their children (the rows carry the metric of the deepest bucket).
      rings[l]![i]!.value += value;
      parent = i;
    });
  }
  return { kind: 'pie', metric, levels, rings };
}

export function metricModel(table: VisTable): MetricModel {
  const buckets = table.columns.filter((c) => c.kind === 'bucket');
  const metrics = metricColumns(table);
  const items: MetricModel['items'] = [];
  table.rows.forEach((row, r) => {
    const prefix = buckets.map((b) => formatCell(b, row[indexOf(table, b)]!)).join(', ');
    for (const m of metrics) {
      items.push({ label: prefix ? `${prefix} - ${m.name}` : m.name, value: formatCell(m, row[indexOf(table, m)]!), row: r });
    }
  });
  return { kind: 'metric', items };
}

/** The heat map: hour of day (x) × day of week (y), folded by the server in the browser's zone. */
export function heatModel(table: VisTable): HeatModel {
  const hour = table.columns.findIndex((c) => c.format === 'hour_of_day');
  const day = table.columns.findIndex((c) => c.format === 'day_of_week');
  const mi = table.columns.findIndex((c) => c.kind === 'metric');
  const cells: HeatModel['cells'] = [];
  let max = 0;
  table.rows.forEach((row, r) => {
    const h = numberOf(row[hour]);
    const d = numberOf(row[day]);
    const v = numberOf(row[mi]);
    if (h === null || d === null || v === null) return;
    cells.push([h, d - 1, v, r]);
    max = Math.max(max, v);
  });
  return {
    kind: 'heatmap',
    xLabels: Array.from({ length: 24 }, (_, h) => pad(h)),
    yLabels: WEEKDAYS.map((d) => d.slice(0, 3)),
    cells,
    max,
    xName: 'Hour of day',
    yName: 'Day of week',
    metricName: table.columns[mi]?.name ?? 'Count',
  };
}

// --- click-to-filter ----------------------------------------------------------------------------------

/** What a click does: filters to add, and for a time bucket, the time range to zoom to. */
export interface ClickAction {
  filters: Filter[];
  time: { from: number; to: number } | null;
}

/** The server's filters selecting row `row`'s values of the given bucket columns. */
export function cellFilters(table: VisTable, row: number, cols: readonly VisColumn[]): Filter[] {
  const buckets = table.columns.filter((c) => c.kind === 'bucket');
  const out: Filter[] = [];
  for (const c of cols) {
    const f = table.rowFilters?.[row]?.[buckets.indexOf(c)];
    if (f) out.push(f);
  }
  return out;
}

/** A date bucket's filter as a time range (`gte`/`lt` epoch ms). */
function timeOf(f: Filter): { from: number; to: number } | null {
  const from = f.range?.gte ?? f.range?.gt;
  const to = f.range?.lt ?? f.range?.lte;
  return from !== undefined && to !== undefined ? { from, to } : null;
}

/** Clicking a point of an xy chart: the x bucket's and the series' filters; a date bucket zooms the
 * time range instead of adding a filter (Kibana does the same). */
export function xyClick(table: VisTable, model: XYModel, seriesIndex: number, dataIndex: number): ClickAction | null {
  const s = model.series[seriesIndex];
  const row = s?.rows[dataIndex];
  if (!s || row === null || row === undefined) return null;
  const split = model.split;
  const filters: Filter[] = [];
  let time: ClickAction['time'] = null;
  if (model.x) {
    const [f] = cellFilters(table, row, [model.x]);
    if (f && model.time) time = timeOf(f);
    else if (f) filters.push(f);
  }
  if (split) filters.push(...cellFilters(table, row, [split]));
  return filters.length > 0 || time ? { filters, time } : null;
}

/** The filter a legend item (a split series) stands for. */
export function legendFilters(table: VisTable, model: XYModel, seriesIndex: number): Filter[] {
  const s = model.series[seriesIndex];
  const row = s?.rows.find((r) => r !== null);
  if (!model.split || row === undefined || row === null) return [];
  return cellFilters(table, row, [model.split]);
}

/** The filters of a pie slice: its own bucket's and its parents'. */
export function sliceFilters(table: VisTable, model: PieModel, ring: number, index: number): Filter[] {
  const slice = model.rings[ring]?.[index];
  if (!slice || model.levels.length === 0) return [];
  return cellFilters(table, slice.row, model.levels.slice(0, ring + 1));
}

/** A data table row's filters (every bucket column). */
export function tableRowFilters(table: VisTable, row: number): Filter[] {
  return cellFilters(table, row, table.columns.filter((c) => c.kind === 'bucket'));
}

/** A brushed span of category indices as a time range (the first bucket's start to the last's end). */
export function brushedRange(model: XYModel, coord: readonly number[]): { from: number; to: number } | null {
  if (coord.length < 2 || model.intervalMs === null || model.categories.length === 0) return null;
  const last = model.categories.length - 1;
  const i0 = Math.max(0, Math.min(last, Math.round(Math.min(coord[0]!, coord[1]!))));
  const i1 = Math.max(0, Math.min(last, Math.round(Math.max(coord[0]!, coord[1]!))));
  const from = model.categories[i0];
  const to = model.categories[i1];
  if (typeof from !== 'number' || typeof to !== 'number') return null;
  return { from, to: to + model.intervalMs };
}

// --- the accessible description ------------------------------------------------------------------

const MAX_DESCRIBED = 10;

/** One sentence or two saying what the chart shows, for screen readers (the data table has it all). */
/** The colour of the i-th series (Other: neutral). */
export function seriesColor(model: XYModel, i: number): string {
  return model.series[i]?.other ? OTHER_COLOR : paletteColor(i);
}

export function describe(type: ChartType, model: ChartModel, title: string): string {
  const name = title || 'Visualization';
  switch (model.kind) {
    case 'xy': {
      if (model.series.length === 0) return `${name}: no data.`;
      const total = (s: Series): number => s.values.reduce<number>((a, v) => a + (v ?? 0), 0);
      const parts = model.series.slice(0, MAX_DESCRIBED).map((s) => `${s.name} ${formatNumber(round(total(s)))}`);
      const kind = { bar: 'Vertical bar', hbar: 'Horizontal bar', line: 'Line', area: 'Area' }[type as 'bar'] ?? 'Chart';
      const over = model.x ? ` over ${model.categories.length} ${model.x.name} buckets` : '';
      const more = model.series.length > MAX_DESCRIBED ? `, and ${model.series.length - MAX_DESCRIBED} more` : '';
      return `${kind} chart ${name}${over}; totals: ${parts.join(', ')}${more}.`;
    }
    case 'pie': {
      const ring = model.rings[0] ?? [];
      const sum = ring.reduce((a, s) => a + s.value, 0);
      if (ring.length === 0 || sum === 0) return `${name}: no data.`;
      const parts = ring.slice(0, MAX_DESCRIBED).map((s) => `${s.name} ${formatNumber(round(s.value))} (${Math.round((100 * s.value) / sum)}%)`);
      return `Pie chart ${name} of ${model.metric?.name ?? 'Count'}: ${parts.join(', ')}${ring.length > MAX_DESCRIBED ? ', …' : ''}.`;
    }
    case 'metric':
      return model.items.length === 0 ? `${name}: no data.` : `${name}: ${model.items.slice(0, MAX_DESCRIBED).map((i) => `${i.label} ${i.value}`).join(', ')}.`;
    case 'heatmap':
      return model.cells.length === 0
        ? `${name}: no data.`
        : `Heat map ${name} of ${model.metricName} by ${model.xName} and ${model.yName}; the highest cell is ${formatNumber(round(model.max))}.`;
    case 'table':
      return `Data table ${name}.`;
  }
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
