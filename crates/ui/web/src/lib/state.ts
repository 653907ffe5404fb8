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

/** A filter pill (the API's filter shape). `exists` filters have a null value. */
export interface Filter {
  field: string;
  value: FilterValue;
  negate: boolean;
  disabled: boolean;
  exists?: boolean;
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

function normalizeFilter(f: Filter): Filter {
  const out: Filter = { field: f.field, value: f.value, negate: f.negate, disabled: f.disabled };
  if (f.exists) out.exists = true;
  return out;
}

function parseFilters(text: string | null): Filter[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: Filter[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    if (typeof o.field !== 'string' || o.field === '') continue;
    const v = o.value;
    const value: FilterValue =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
    const exists = o.exists === true;
    if (value === null && !exists) continue;
    out.push(normalizeFilter({ field: o.field, value, negate: o.negate === true, disabled: o.disabled === true, exists }));
  }
  return out;
}

/** The text a filter pill shows: `level: ERROR`, `NOT level: ERROR`, `user: exists`. */
export function filterLabel(f: Filter): string {
  const body = f.exists ? `${f.field}: exists` : `${f.field}: ${String(f.value)}`;
  return f.negate ? `NOT ${body}` : body;
}

/** Same field and value (whatever negate/disabled say). */
export function sameFilter(a: Filter, b: Filter): boolean {
  return a.field === b.field && a.value === b.value && Boolean(a.exists) === Boolean(b.exists);
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
