// A visualization's spec (crates/ui/API.md "Visualizations") and the pure edits the editor makes
// to it. Kibana's aggregation-based editor is the model: metrics (the y values) and buckets (the
// x axis, split series/slices, rows/columns).

import type { Field } from '../../api';
import type { Filter, Language } from '../state';

export const CHART_TYPES = ['pie', 'bar', 'hbar', 'line', 'area', 'metric', 'table', 'heatmap'] as const;
export type ChartType = (typeof CHART_TYPES)[number];

export const CHART_LABELS: Record<ChartType, string> = {
  pie: 'Pie',
  bar: 'Vertical bar',
  hbar: 'Horizontal bar',
  line: 'Line',
  area: 'Area',
  metric: 'Metric',
  table: 'Data table',
  heatmap: 'Heat map',
};

export const METRIC_TYPES = ['count', 'avg', 'sum', 'min', 'max', 'cardinality', 'median', 'percentiles', 'top_hit'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export const METRIC_LABELS: Record<MetricType, string> = {
  count: 'Count',
  avg: 'Average',
  sum: 'Sum',
  min: 'Min',
  max: 'Max',
  cardinality: 'Unique count',
  median: 'Median',
  percentiles: 'Percentiles',
  top_hit: 'Top hit (last value)',
};

export const BUCKET_TYPES = ['terms', 'date_histogram', 'histogram', 'range', 'filters'] as const;
export type BucketType = (typeof BUCKET_TYPES)[number];

export const BUCKET_LABELS: Record<BucketType, string> = {
  terms: 'Terms',
  date_histogram: 'Date histogram',
  histogram: 'Histogram',
  range: 'Range',
  filters: 'Filters',
};

export type BucketRole = 'x' | 'split' | 'rows';
export type LegendPosition = 'right' | 'left' | 'top' | 'bottom' | 'none';

export interface Metric {
  id: string;
  type: MetricType;
  field?: string;
  /** percentiles: which ones, 1..20 values in 0..100 (the editor starts with 50, 95, 99; the server's
   * default is Kibana's 1, 5, 25, 50, 75, 95, 99). */
  percents?: number[];
  /** top_hit: the field deciding "last" (default the data view's time field). */
  sortField?: string;
}

export interface RangeSpec {
  from?: number | null;
  to?: number | null;
  label?: string;
}

export interface FilterSpec {
  query: string;
  language?: Language;
  label?: string;
}

export interface Bucket {
  id: string;
  role: BucketRole;
  type: BucketType;
  field?: string;
  /** terms: how many. */
  size?: number;
  /** terms: order by a metric's id, `_count` or `_key`, asc/desc (default `_count` desc). */
  order?: { by: string; dir: 'asc' | 'desc' };
  otherBucket?: boolean;
  missingBucket?: boolean;
  /** date_histogram: `auto`, a fixed `30s|5m|3h|1d`, or a calendar `1w|1M|1y`. */
  interval?: string;
  /** histogram: the bucket width. */
  histogramInterval?: number;
  ranges?: RangeSpec[];
  filters?: FilterSpec[];
}

export interface VisParams {
  stacked?: boolean;
  legendPosition?: LegendPosition;
  valueLabels?: boolean;
  donut?: boolean;
}

export interface VisSpec {
  type: ChartType;
  dataView: string;
  query?: { language: Language; query: string };
  filters?: Filter[];
  metrics: Metric[];
  buckets: Bucket[];
  params: VisParams;
}

/** Charts over an x axis (their first bucket is the x axis, a second splits series). */
export const XY_TYPES: ReadonlySet<ChartType> = new Set(['bar', 'hbar', 'line', 'area']);

/** The roles a chart type offers, in nesting order (crates/ui/API.md "Per chart type"). */
export function bucketRoles(type: ChartType): BucketRole[] {
  switch (type) {
    case 'pie':
    case 'bar':
    case 'hbar':
    case 'line':
    case 'area':
      return ['x', 'split'];
    case 'table':
      return ['rows'];
    case 'metric':
      return ['split'];
    case 'heatmap':
      return [];
  }
}

/** The role's name in the editor (Kibana's wording). */
export function roleLabel(type: ChartType, role: BucketRole): string {
  switch (type) {
    case 'pie':
      return role === 'x' ? 'Split slices' : 'Split slices (outer ring)';
    case 'table':
      return 'Split rows';
    case 'metric':
      return 'Split group';
    case 'hbar':
      return role === 'x' ? 'Y-axis' : 'Split series';
    case 'bar':
    case 'line':
    case 'area':
    case 'heatmap':
      return role === 'x' ? 'X-axis' : 'Split series';
  }
}

/** How many buckets of a role a chart type takes. */
export function maxBuckets(type: ChartType, role: BucketRole): number {
  if (type === 'table') return role === 'rows' ? 3 : 0;
  return bucketRoles(type).includes(role) ? 1 : 0;
}

/** Metric types a chart type takes (the heat map: one of count, sum, min, max, avg). */
export function metricTypes(type: ChartType): readonly MetricType[] {
  return type === 'heatmap' ? ['count', 'sum', 'min', 'max', 'avg'] : METRIC_TYPES;
}

/** How many metrics a chart type takes. */
export function maxMetrics(type: ChartType): number {
  return type === 'heatmap' ? 1 : 10;
}

/** Metrics a terms bucket can be ordered by. */
export function orderableMetrics(spec: VisSpec): Metric[] {
  return spec.metrics.filter((m) => ['count', 'avg', 'sum', 'min', 'max', 'cardinality'].includes(m.type));
}

/** Metrics that need a field, and which field types they take. */
export function metricFieldTypes(type: MetricType): ReadonlyArray<Field['type']> | null {
  switch (type) {
    case 'count':
      return null;
    case 'cardinality':
    case 'top_hit':
      return ['string', 'number', 'date', 'boolean', 'ip'];
    case 'avg':
    case 'sum':
    case 'median':
    case 'percentiles':
      return ['number'];
    case 'min':
    case 'max':
      return ['number', 'date'];
  }
}

export function bucketFieldTypes(type: BucketType): ReadonlyArray<Field['type']> | null {
  switch (type) {
    case 'terms':
      return ['string', 'number', 'boolean', 'ip', 'date'];
    case 'date_histogram':
      return ['date'];
    case 'histogram':
    case 'range':
      return ['number'];
    case 'filters':
      return null;
  }
}

/** Aggregatable fields a metric or bucket type can use, by name. */
export function fieldsFor(fields: readonly Field[], types: ReadonlyArray<Field['type']> | null): string[] {
  if (types === null) return [];
  return fields.filter((f) => f.aggregatable && types.includes(f.type)).map((f) => f.name).sort();
}

export const DEFAULT_PERCENTS = [50, 95, 99];

/** A metric's label as Kibana writes it: `Count`, `Average duration`, `Unique count of user`. */
export function metricLabel(m: Metric): string {
  const f = m.field ?? '?';
  switch (m.type) {
    case 'count':
      return 'Count';
    case 'avg':
      return `Average ${f}`;
    case 'sum':
      return `Sum of ${f}`;
    case 'min':
      return `Min ${f}`;
    case 'max':
      return `Max ${f}`;
    case 'cardinality':
      return `Unique count of ${f}`;
    case 'median':
      return `Median ${f}`;
    case 'percentiles':
      return `Percentiles of ${f}`;
    case 'top_hit':
      return `Last ${f}`;
  }
}

export function bucketLabel(b: Bucket): string {
  switch (b.type) {
    case 'terms':
      return `Top ${b.size ?? 5} ${b.field ?? '?'}`;
    case 'date_histogram':
      return `${b.field ?? '?'} per ${b.interval ?? 'auto'}`;
    case 'histogram':
      return `${b.field ?? '?'} (interval ${b.histogramInterval ?? '?'})`;
    case 'range':
      return `${b.field ?? '?'} ranges`;
    case 'filters':
      return 'Filters';
  }
}

// --- ids ------------------------------------------------------------------------------------------

/** The next free id (`"1"`, `"2"`, …) among a spec's metrics and buckets, like Kibana's agg ids. */
export function nextId(spec: VisSpec): string {
  const used = new Set([...spec.metrics, ...spec.buckets].map((a) => a.id));
  let n = 1;
  while (used.has(String(n))) n += 1;
  return String(n);
}

// --- defaults -------------------------------------------------------------------------------------

export interface DataViewInfo {
  id: string;
  timeField: string | null;
  fields: readonly Field[];
}

/** The first field (by name) of the first of `types` the data view has (terms: strings first). */
function firstField(dv: DataViewInfo, types: ReadonlyArray<Field['type']> | null): string | undefined {
  for (const t of types ?? []) {
    const f = fieldsFor(dv.fields, [t])[0];
    if (f !== undefined) return f;
  }
  return undefined;
}

/** A new metric of a type, with a usable field picked when one is needed. */
export function newMetric(spec: VisSpec, type: MetricType, dv: DataViewInfo): Metric {
  const m: Metric = { id: nextId(spec), type };
  const types = metricFieldTypes(type);
  if (types) {
    const field = firstField(dv, types);
    if (field !== undefined) m.field = field;
  }
  if (type === 'percentiles') m.percents = [...DEFAULT_PERCENTS];
  if (type === 'top_hit' && dv.timeField) m.sortField = dv.timeField;
  return m;
}

/** A new bucket of a type and role, with Kibana's defaults (terms: top 5 by the first metric). */
export function newBucket(spec: VisSpec, type: BucketType, role: BucketRole, dv: DataViewInfo): Bucket {
  const b: Bucket = { id: nextId(spec), role, type };
  const types = bucketFieldTypes(type);
  if (type === 'date_histogram' && dv.timeField) b.field = dv.timeField;
  else if (types) {
    const field = firstField(dv, types);
    if (field !== undefined) b.field = field;
  }
  switch (type) {
    case 'terms':
      b.size = 5;
      b.order = { by: '_count', dir: 'desc' };
      b.otherBucket = false;
      b.missingBucket = false;
      break;
    case 'date_histogram':
      b.interval = 'auto';
      break;
    case 'histogram':
      b.histogramInterval = 1;
      break;
    case 'range':
      b.ranges = [{ from: 0, to: 1 }, { from: 1, to: null }];
      break;
    case 'filters':
      b.filters = [{ query: '', language: 'kuery' }];
      break;
  }
  return b;
}

/** A new spec of a chart type over a data view, with the buckets that type starts with. */
export function newSpec(type: ChartType, dv: DataViewInfo): VisSpec {
  let spec: VisSpec = { type, dataView: dv.id, metrics: [], buckets: [], params: defaultParams(type) };
  spec = { ...spec, metrics: [newMetric(spec, 'count', dv)] };
  const add = (btype: BucketType, role: BucketRole): void => {
    spec = { ...spec, buckets: [...spec.buckets, newBucket(spec, btype, role, dv)] };
  };
  if ((type === 'line' || type === 'area' || type === 'bar') && dv.timeField) add('date_histogram', 'x');
  else if (type === 'hbar' || type === 'pie' || type === 'bar') add('terms', 'x');
  else if (type === 'table') add('terms', 'rows');
  return spec;
}

export function defaultParams(type: ChartType): VisParams {
  switch (type) {
    case 'pie':
      return { legendPosition: 'right', donut: true, valueLabels: true };
    case 'bar':
    case 'hbar':
    case 'area':
      return { legendPosition: 'right', stacked: true, valueLabels: false };
    case 'line':
      return { legendPosition: 'right', stacked: false, valueLabels: false };
    case 'heatmap':
      return { legendPosition: 'right', valueLabels: false };
    case 'metric':
    case 'table':
      return {};
  }
}

// --- edits (each returns a new spec) ----------------------------------------------------------------

export function setChartType(spec: VisSpec, type: ChartType): VisSpec {
  if (spec.type === type) return spec;
  const roles = bucketRoles(type);
  // Keep the buckets in nesting order, given the new type's roles in turn (Kibana keeps the
  // aggregations when it can); those that do not fit are dropped.
  const buckets: Bucket[] = [];
  for (const b of spec.buckets) {
    const role = roles.find((r) => buckets.filter((x) => x.role === r).length < maxBuckets(type, r) && (r !== 'split' || type === 'metric' || buckets.some((x) => x.role === 'x')));
    if (role) buckets.push({ ...b, role });
  }
  const allowed = metricTypes(type);
  let metrics = spec.metrics.filter((m) => allowed.includes(m.type)).slice(0, maxMetrics(type));
  if (metrics.length === 0) metrics = [{ id: nextId({ ...spec, buckets }), type: 'count' }];
  const ids = new Set(metrics.map((m) => m.id));
  const fixed = buckets.map((b) => (b.order && b.order.by !== '_count' && b.order.by !== '_key' && !ids.has(b.order.by) ? { ...b, order: { ...b.order, by: '_count' } } : b));
  return { ...spec, type, buckets: fixed, metrics, params: { ...defaultParams(type), ...pick(spec.params, type) } };
}

function pick(params: VisParams, type: ChartType): VisParams {
  const keep = defaultParams(type);
  const out: VisParams = {};
  for (const k of Object.keys(keep) as Array<keyof VisParams>) {
    if (params[k] !== undefined) (out as Record<string, unknown>)[k] = params[k];
  }
  return out;
}

/** Buckets in aggregation order: for xy charts and heat maps the x axis first, then the split. */
function orderBuckets(type: ChartType, buckets: Bucket[]): Bucket[] {
  const roles = bucketRoles(type);
  return buckets.slice().sort((a, b) => roles.indexOf(a.role) - roles.indexOf(b.role));
}

/** Whether a bucket of this role can be added (a second level needs the first: the pie's outer
 * ring, an xy chart's split series over its x axis, as the API's nesting order wants). */
export function canAddBucket(spec: VisSpec, role: BucketRole): boolean {
  if (spec.buckets.filter((b) => b.role === role).length >= maxBuckets(spec.type, role)) return false;
  return !(role === 'split' && spec.type !== 'metric' && !spec.buckets.some((b) => b.role === 'x'));
}

export function canAddMetric(spec: VisSpec): boolean {
  return spec.metrics.length < maxMetrics(spec.type);
}

export function addMetric(spec: VisSpec, type: MetricType, dv: DataViewInfo): VisSpec {
  if (!canAddMetric(spec)) return spec;
  return { ...spec, metrics: [...spec.metrics, newMetric(spec, type, dv)] };
}

export function addBucket(spec: VisSpec, type: BucketType, role: BucketRole, dv: DataViewInfo): VisSpec {
  if (!canAddBucket(spec, role)) return spec;
  return { ...spec, buckets: orderBuckets(spec.type, [...spec.buckets, newBucket(spec, type, role, dv)]) };
}

/** Changes a metric; a type change keeps the field when the new type can use it. */
export function updateMetric(spec: VisSpec, id: string, patch: Partial<Metric>, dv: DataViewInfo): VisSpec {
  return {
    ...spec,
    metrics: spec.metrics.map((m) => {
      if (m.id !== id) return m;
      if (patch.type && patch.type !== m.type) {
        const fresh = { ...newMetric(spec, patch.type, dv), id };
        const fits = m.field !== undefined && fieldsFor(dv.fields, metricFieldTypes(patch.type)).includes(m.field);
        return fits ? { ...fresh, field: m.field, ...patch } : { ...fresh, ...patch };
      }
      return { ...m, ...patch };
    }),
  };
}

export function updateBucket(spec: VisSpec, id: string, patch: Partial<Bucket>, dv: DataViewInfo): VisSpec {
  return {
    ...spec,
    buckets: spec.buckets.map((b) => {
      if (b.id !== id) return b;
      if (patch.type && patch.type !== b.type) {
        const fresh = { ...newBucket(spec, patch.type, b.role, dv), id };
        const fits = b.field !== undefined && fieldsFor(dv.fields, bucketFieldTypes(patch.type)).includes(b.field);
        return fits && patch.type !== 'date_histogram' ? { ...fresh, field: b.field, ...patch } : { ...fresh, ...patch };
      }
      return { ...b, ...patch };
    }),
  };
}

/** Removes a metric (never the last one); terms ordered by it fall back to the count. */
export function removeMetric(spec: VisSpec, id: string): VisSpec {
  if (spec.metrics.length <= 1) return spec;
  const metrics = spec.metrics.filter((m) => m.id !== id);
  const buckets = spec.buckets.map((b) => (b.order?.by === id ? { ...b, order: { ...b.order, by: '_count' } } : b));
  return { ...spec, metrics, buckets };
}

/** Removes a bucket; removing an x axis takes the split that depends on it too (pie, xy). */
export function removeBucket(spec: VisSpec, id: string): VisSpec {
  const gone = spec.buckets.find((b) => b.id === id);
  if (!gone) return spec;
  const left = spec.buckets.filter((b) => b.id !== id);
  const dependent = gone.role === 'x' && spec.type !== 'metric' ? left.filter((b) => b.role !== 'split') : left;
  return { ...spec, buckets: dependent };
}

/** Moves a bucket one place up or down among the buckets of its role (aggregation order). */
export function moveBucket(spec: VisSpec, id: string, delta: -1 | 1): VisSpec {
  const i = spec.buckets.findIndex((b) => b.id === id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= spec.buckets.length || spec.buckets[j]!.role !== spec.buckets[i]!.role) return spec;
  const buckets = spec.buckets.slice();
  [buckets[i], buckets[j]] = [buckets[j]!, buckets[i]!];
  return { ...spec, buckets };
}

export function setParams(spec: VisSpec, patch: Partial<VisParams>): VisSpec {
  return { ...spec, params: { ...spec.params, ...patch } };
}

/** A spec from untrusted JSON text (the URL), when it has a spec's shape; the server checks the rest. */
export function parseSpec(text: string | null): VisSpec | null {
  if (!text) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const ok =
    (CHART_TYPES as readonly unknown[]).includes(o.type) &&
    typeof o.dataView === 'string' &&
    Array.isArray(o.metrics) &&
    o.metrics.every((m) => typeof m === 'object' && m !== null && typeof (m as Metric).id === 'string' && METRIC_TYPES.includes((m as Metric).type)) &&
    Array.isArray(o.buckets) &&
    o.buckets.every((b) => typeof b === 'object' && b !== null && typeof (b as Bucket).id === 'string' && BUCKET_TYPES.includes((b as Bucket).type));
  if (!ok) return null;
  const params = typeof o.params === 'object' && o.params !== null ? (o.params as VisParams) : {};
  return { ...(o as unknown as VisSpec), params };
}

// --- validation ------------------------------------------------------------------------------------

/** What keeps a spec from being drawn (shown in the editor; no request is made while non-empty). */
export function specProblems(spec: VisSpec): string[] {
  const out: string[] = [];
  if (spec.metrics.length === 0) out.push('Add a metric');
  for (const m of spec.metrics) {
    if (metricFieldTypes(m.type) && !m.field) out.push(`${METRIC_LABELS[m.type]}: choose a field`);
    if (m.type === 'percentiles' && (!m.percents || m.percents.length === 0 || m.percents.length > 20 || m.percents.some((p) => !(p >= 0 && p <= 100)))) {
      out.push('Percentiles: give 1 to 20 percents between 0 and 100');
    }
  }
  for (const b of spec.buckets) {
    const label = BUCKET_LABELS[b.type];
    if (bucketFieldTypes(b.type) && !b.field) out.push(`${label}: choose a field`);
    if (b.type === 'terms' && !(Number.isInteger(b.size) && b.size! >= 1 && b.size! <= 500)) out.push('Terms: size must be 1 to 500');
    if (b.type === 'histogram' && !(typeof b.histogramInterval === 'number' && b.histogramInterval > 0)) out.push('Histogram: the interval must be above 0');
    if (b.type === 'date_histogram' && !validInterval(b.interval ?? 'auto')) out.push(`Date histogram: "${b.interval ?? ''}" is not an interval`);
    if (b.type === 'range' && (!b.ranges || b.ranges.length === 0)) out.push('Range: add a range');
    if (b.type === 'range' && b.ranges?.some((r) => r.from != null && r.to != null && r.from >= r.to)) out.push('Range: each "from" must be below its "to"');
    if (b.type === 'filters' && (!b.filters || b.filters.length === 0)) out.push('Filters: add a filter');
  }
  const ids = new Set(orderableMetrics(spec).map((m) => m.id));
  for (const b of spec.buckets) {
    if (b.type === 'terms' && b.order && b.order.by !== '_count' && b.order.by !== '_key' && !ids.has(b.order.by)) out.push('Terms: order by a count, average, sum, min, max or unique count');
  }
  return out;
}

/** `auto`, a fixed interval (`30s`, `5m`, `3h`, `2d`, `500ms`) or a calendar one (`1m`, `1h`, `1d`,
 * `1w`, `1M`, `1q`, `1y`). */
export function validInterval(text: string): boolean {
  return text === 'auto' || /^[1-9]\d*(ms|s|m|h|d)$/.test(text) || /^1[wMqy]$/.test(text);
}
