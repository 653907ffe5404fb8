// Discover's state and its URL form (the keys of crates/ui/API.md "Pages"). The URL is the source
// of truth: every change is a pushState, so back/forward and copied links reproduce the view.

import type { Field } from '../api';

export type Language = 'kuery' | 'lucene';
export type SortDir = 'desc' | 'asc';
export type RefreshInterval = 'off' | '5s' | '10s' | '1m';

export const REFRESH_INTERVALS: ReadonlyArray<{ value: RefreshInterval; label: string; ms: number }> = [
  { value: 'off', label: 'Off', ms: 0 },
  { value: '5s', label: '5 seconds', ms: 5_000 },
  { value: '10s', label: '10 seconds', ms: 10_000 },
  { value: '1m', label: '1 minute', ms: 60_000 },
];

export type FilterValue = string | number | boolean | null;

/** A range filter's bounds (numbers, or epoch ms for date fields). */
export interface RangeBounds {
  gte?: number;
  gt?: number;
  lte?: number;
  lt?: number;
}

/** A filter pill (the API's `Filter`, crates/ui/API.md): exactly one of a phrase (`value`), any of
 * several phrases (`values`), `exists`, a `range`, or a `query`; plus negate/disabled/label. */
export interface Filter {
  field: string;
  value?: FilterValue;
  values?: FilterValue[];
  exists?: boolean;
  range?: RangeBounds;
  query?: { language: Language; query: string };
  negate: boolean;
  disabled: boolean;
  /** The pill's text (the server ignores it). */
  label?: string;
}

export interface DiscoverState {
  /** Data view id; null until one is chosen (then the default one is written to the URL). */
  dv: string | null;
  query: string;
  language: Language;
  from: string;
  to: string;
  refresh: RefreshInterval;
  filters: Filter[];
  columns: string[];
  sort: SortDir;
}

export const DEFAULT_STATE: DiscoverState = Object.freeze({
  dv: null,
  query: '',
  language: 'kuery',
  from: 'now-15m',
  to: 'now',
  refresh: 'off',
  filters: [],
  columns: [],
  sort: 'desc',
}) as DiscoverState;

/** The URL query string (with `?`, or empty) for a state. Keys are written in a fixed order. */
export function stateToUrl(state: DiscoverState): string {
  const p = new URLSearchParams();
  if (state.dv !== null) p.set('dv', state.dv);
  if (state.query !== '') p.set('q', state.query);
  p.set('lang', state.language);
  p.set('from', state.from);
  p.set('to', state.to);
  p.set('refresh', state.refresh);
  if (state.filters.length > 0) p.set('f', JSON.stringify(state.filters.map(normalizeFilter)));
  if (state.columns.length > 0) p.set('cols', state.columns.join(','));
  p.set('sort', state.sort);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** The state a URL query string describes; missing or malformed keys take their defaults. */
export function urlToState(search: string): DiscoverState {
  const p = new URLSearchParams(search);
  const lang = p.get('lang');
  const refresh = p.get('refresh');
  const sort = p.get('sort');
  const cols = p.get('cols');
  return {
    dv: p.get('dv') || null,
    query: p.get('q') ?? '',
    language: lang === 'lucene' ? 'lucene' : 'kuery',
    from: p.get('from') || DEFAULT_STATE.from,
    to: p.get('to') || DEFAULT_STATE.to,
    refresh: REFRESH_INTERVALS.some((r) => r.value === refresh) ? (refresh as RefreshInterval) : 'off',
    filters: parseFilters(p.get('f')),
    columns: cols ? cols.split(',').filter((c) => c !== '') : [],
    sort: sort === 'asc' ? 'asc' : 'desc',
  };
}

/** The filter with only the members its kind uses, in a fixed order (the URL and the wire form). */
export function normalizeFilter(f: Filter): Filter {
  const out: Filter = { field: f.field, negate: f.negate, disabled: f.disabled };
  if (f.query) out.query = { language: f.query.language === 'lucene' ? 'lucene' : 'kuery', query: f.query.query };
  else if (f.range) out.range = pickRange(f.range);
  else if (f.exists) out.exists = true;
  else if (f.values) out.values = f.values.slice();
  else out.value = f.value ?? null;
  if (f.label) out.label = f.label;
  return out;
}

function pickRange(r: RangeBounds): RangeBounds {
  const out: RangeBounds = {};
  for (const k of ['gte', 'gt', 'lte', 'lt'] as const) {
    const v = r[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

const isPrimitive = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Filters from untrusted JSON (the URL, a saved object); malformed entries are dropped. */
export function parseFilterList(raw: unknown): Filter[] {
  if (!Array.isArray(raw)) return [];
  const out: Filter[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    const field = typeof o.field === 'string' ? o.field : '';
    const base = { field, negate: o.negate === true, disabled: o.disabled === true, ...(typeof o.label === 'string' && o.label !== '' ? { label: o.label } : {}) };
    const q = o.query as Record<string, unknown> | undefined;
    if (q && typeof q === 'object' && typeof q.query === 'string') {
      out.push(normalizeFilter({ ...base, query: { language: q.language === 'lucene' ? 'lucene' : 'kuery', query: q.query } }));
      continue;
    }
    if (field === '') continue;
    if (o.range && typeof o.range === 'object') {
      const range = pickRange(o.range as RangeBounds);
      if (Object.keys(range).length > 0) out.push(normalizeFilter({ ...base, range }));
      continue;
    }
    if (o.exists === true) {
      out.push(normalizeFilter({ ...base, exists: true }));
      continue;
    }
    if (Array.isArray(o.values)) {
      const values = o.values.filter(isPrimitive);
      if (values.length > 0) out.push(normalizeFilter({ ...base, values }));
      continue;
    }
    if (isPrimitive(o.value)) out.push(normalizeFilter({ ...base, value: o.value }));
  }
  return out;
}

function parseFilters(text: string | null): Filter[] {
  if (!text) return [];
  try {
    return parseFilterList(JSON.parse(text));
  } catch {
    return [];
  }
}

const fmtBound = (field: string, v: number): string => (/time|date/i.test(field) && v > 1e11 ? new Date(v).toISOString() : String(v));

/** The text a filter pill shows: `level: ERROR`, `NOT level: ERROR`, `user: exists`,
 * `user: user1, user2`, `duration: 0.5 to 1`, a query's text, or the filter's own label. */
export function filterLabel(f: Filter): string {
  let body: string;
  if (f.label) body = f.label;
  else if (f.query) body = f.query.query;
  else if (f.exists) body = `${f.field}: exists`;
  else if (f.values) body = `${f.field}: ${f.values.map(String).join(', ')}`;
  else if (f.range) {
    const r = f.range;
    const lo = r.gte ?? r.gt;
    const hi = r.lt ?? r.lte;
    body = `${f.field}: ${lo === undefined ? '-∞' : fmtBound(f.field, lo)} to ${hi === undefined ? '+∞' : fmtBound(f.field, hi)}`;
  } else body = `${f.field}: ${String(f.value)}`;
  return f.negate ? `NOT ${body}` : body;
}

/** Selects the same documents (whatever negate/disabled/label say). */
export function sameFilter(a: Filter, b: Filter): boolean {
  const key = (f: Filter): string => JSON.stringify({ ...normalizeFilter(f), negate: false, disabled: false, label: undefined });
  return key(a) === key(b);
}

/** A typed value for a field: numbers and booleans as such, everything else as text. */
export function filterValue(field: Field | undefined, text: string): FilterValue {
  if (field?.type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (field?.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** `next`, reusing `prev`'s filters and columns arrays when equal (so memoized rows and lists see
 * unchanged props when only, say, the query changed). */
export function keepIdentity(prev: DiscoverState | null, next: DiscoverState): DiscoverState {
  if (!prev) return next;
  const columns = prev.columns.join('\u0000') === next.columns.join('\u0000') ? prev.columns : next.columns;
  const filters = JSON.stringify(prev.filters) === JSON.stringify(next.filters) ? prev.filters : next.filters;
  return columns === next.columns && filters === next.filters ? next : { ...next, columns, filters };
}
