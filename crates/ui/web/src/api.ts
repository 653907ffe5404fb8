// Every request the browser makes goes through this module (contract: crates/ui/API.md).

import type { Filter, Language, SortDir } from './lib/state';
import type { VisSpec } from './lib/vis/spec';

export interface ErrorPosition {
  offset: number;
  line: number;
  column: number;
}

/** A failed request: the API's error body, or `network_error` (status 0) when nothing answered. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly reason: string;
  readonly hint: string | null;
  readonly position: ErrorPosition | null;

  constructor(status: number, type: string, reason: string, hint: string | null = null, position: ErrorPosition | null = null) {
    super(reason);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.reason = reason;
    this.hint = hint;
    this.position = position;
  }

  /** The backend (or `sluice ui` itself) is unreachable: worth polling until it is back. */
  get isUnreachable(): boolean {
    return this.type === 'network_error' || this.type === 'backend_unreachable';
  }

  /** Retrying later may succeed without the user changing anything. */
  get isTransient(): boolean {
    return this.isUnreachable || this.type === 'index_not_found_exception' || this.status === 503 || this.status === 429;
  }

  get isSyntax(): boolean {
    return this.type === 'kql_syntax_error' || this.type === 'lucene_syntax_error';
  }
}

/** Reads an API error body (or anything else a failed request answered) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const err = (body as { error?: unknown } | null)?.error;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const pos = e.position as Record<string, unknown> | null | undefined;
    const position =
      pos && typeof pos.offset === 'number' && typeof pos.line === 'number' && typeof pos.column === 'number'
        ? { offset: pos.offset, line: pos.line, column: pos.column }
        : null;
    return new ApiError(
      typeof e.status === 'number' ? e.status : status,
      typeof e.type === 'string' ? e.type : 'unknown',
      typeof e.reason === 'string' ? e.reason : `request failed with status ${status}`,
      typeof e.hint === 'string' ? e.hint : null,
      position,
    );
  }
  if (typeof err === 'string') return new ApiError(status, 'unknown', err);
  return new ApiError(status, 'unknown', `request failed with status ${status}`);
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, raw?: string): Promise<T> {
  let res: Response;
  const init: RequestInit = { method, headers: { accept: 'application/json' } };
  if (signal) init.signal = signal;
  if (raw !== undefined) {
    init.body = raw;
    init.headers = { ...init.headers, 'content-type': 'application/x-ndjson' };
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'cannot reach the sluice ui server', 'check that `sluice ui` is running');
  }
  const text = await res.text().catch(() => '');
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) throw toApiError(res.status, parsed);
  if (parsed === null && text !== '') throw new ApiError(res.status, 'bad_response', 'the server answered something that is not JSON');
  return parsed as T;
}

// --- status ---------------------------------------------------------------------------------

export interface ApiErrorBody {
  status: number;
  type: string;
  reason: string;
  hint?: string | null;
}

export interface Status {
  backend: { url: string; ok: boolean; version?: string | null; distribution?: string | null };
  error: ApiErrorBody | null;
}

export const status = (signal?: AbortSignal) => request<Status>('GET', '/api/status', undefined, signal);

// --- data views -----------------------------------------------------------------------------

export interface DataView {
  id: string;
  title: string;
  timeField: string | null;
}

export type FieldType = 'string' | 'number' | 'date' | 'boolean' | 'ip' | 'geo_point' | 'object' | 'unknown';

export interface Field {
  name: string;
  type: FieldType;
  esTypes: string[];
  searchable: boolean;
  aggregatable: boolean;
}

export const listDataViews = () => request<{ data_views: DataView[]; default: string | null }>('GET', '/api/data_views');

export const createDataView = (title: string, timeField: string | null) =>
  request<{ data_view: DataView; warning: string | null }>('POST', '/api/data_views', { title, timeField });

export const deleteDataView = (id: string) => request<{ deleted: boolean }>('DELETE', `/api/data_views/${encodeURIComponent(id)}`);

export const setDefaultDataView = (id: string) =>
  request<{ default: string }>('POST', `/api/data_views/${encodeURIComponent(id)}/default`);

export const fields = (pattern: string, signal?: AbortSignal) =>
  request<{ fields: Field[]; indices: string[] }>('GET', `/api/fields?pattern=${encodeURIComponent(pattern)}`, undefined, signal);

// --- search ---------------------------------------------------------------------------------

export interface SearchRequest {
  index: string;
  timeField: string | null;
  query: { language: Language; query: string };
  filters: Filter[];
  from: number | null;
  to: number | null;
  sort: SortDir;
  size: number;
  searchAfter: unknown[] | null;
  histogram: { interval: string } | null;
  columns: string[];
}

export interface Hit {
  _index: string;
  _id: string;
  _source: Record<string, unknown>;
  sort?: unknown[];
  highlight?: Record<string, string[]>;
}

export interface Bucket {
  key: number;
  count: number;
}

export interface SearchResponse {
  total: number;
  totalRelation: 'eq' | 'gte';
  took: number;
  hits: Hit[];
  histogram: { interval: string; buckets: Bucket[] } | null;
}

export const search = (body: SearchRequest, signal?: AbortSignal) => request<SearchResponse>('POST', '/api/search', body, signal);

export type CountRequest = Omit<SearchRequest, 'size' | 'searchAfter' | 'histogram'>;

export const count = (body: CountRequest, signal?: AbortSignal) => request<{ count: number }>('POST', '/api/count', body, signal);

// --- saved objects --------------------------------------------------------------------------

export type SavedObjectType = 'index-pattern' | 'search' | 'config' | 'visualization' | 'dashboard';

export interface SavedObject<A = Record<string, unknown>> {
  id: string;
  type: SavedObjectType | string;
  attributes: A;
  updated_at?: string;
}

export interface SavedSearchAttributes {
  title: string;
  dataViewId: string | null;
  query: { language: Language; query: string };
  filters: Filter[];
  columns: string[];
  sort: SortDir;
  time: { from: string; to: string };
}

export const listSavedObjects = <A = Record<string, unknown>>(type: SavedObjectType) =>
  request<{ saved_objects: SavedObject<A>[] }>('GET', `/api/saved_objects?type=${encodeURIComponent(type)}`);

export const createSavedObject = <A>(type: SavedObjectType, attributes: A, id?: string) =>
  request<SavedObject<A>>('POST', `/api/saved_objects/${encodeURIComponent(type)}`, id === undefined ? { attributes } : { attributes, id });

export const updateSavedObject = <A>(type: SavedObjectType, id: string, attributes: A) =>
  request<SavedObject<A>>('PUT', `/api/saved_objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, { attributes });

export const deleteSavedObject = (type: string, id: string) =>
  request<{ deleted: boolean }>('DELETE', `/api/saved_objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);

/** The NDJSON export, as text (one SavedObject a line). */
export async function exportSavedObjects(): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/api/saved_objects/_export', { headers: { accept: 'application/x-ndjson' } });
  } catch {
    throw new ApiError(0, 'network_error', 'cannot reach the sluice ui server');
  }
  const text = await res.text();
  if (!res.ok) {
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    throw toApiError(res.status, body);
  }
  return text;
}

export interface ImportResult {
  success: boolean;
  successCount: number;
  errors: unknown[];
}

export const importSavedObjects = (ndjson: string) =>
  request<ImportResult>('POST', '/api/saved_objects/_import', undefined, undefined, ndjson);

// --- visualizations and dashboards ----------------------------------------------------------


export interface VisAttributes {
  title: string;
  description?: string;
  spec: VisSpec;
}

/** A range of time as epoch milliseconds (the browser resolves date math). */
export interface TimeRangeMs {
  from: number;
  to: number;
}

export interface VisDataRequest {
  spec: VisSpec;
  timeRange: TimeRangeMs | null;
  query: { language: Language; query: string };
  filters: Filter[];
  /** The browser's IANA time zone (date histograms and the heat map's days use it). */
  timeZone: string;
}

export type ColumnKind = 'bucket' | 'metric' | 'field';

export interface VisColumn {
  /** The bucket's or metric's id (`"3.95"` for a percentile), or a saved search's field. */
  id: string;
  name: string;
  kind: ColumnKind;
  /** `string`, `number`, `date` (epoch ms), `range`, `filters`, `day_of_week` (1 = Monday),
   * `hour_of_day`, `any` (top_hit, a search's fields). */
  format: string;
  bucketType?: string;
  metricType?: string;
  field?: string | null;
}

/** A cell: a bucket key or a metric value (top_hit and search fields: any JSON value). */
export type Cell = unknown;

export interface VisTable {
  columns: VisColumn[];
  rows: Cell[][];
  /** `rowFilters[i][j]`: the filter selecting row i's value of bucket column j (click-to-filter). */
  rowFilters?: Array<Array<Filter | null>>;
  meta?: { total?: number; took?: number; interval?: string | null; timeZone?: string; type?: string };
}

export const visData = (body: VisDataRequest, signal?: AbortSignal) => request<VisTable>('POST', '/api/vis/data', body, signal);

export interface PanelGrid {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DashboardPanel extends PanelGrid {
  panelId: string;
  type: 'visualization' | 'search';
  /** The saved object's id. */
  ref: string;
  /** Overrides the saved object's title. */
  title?: string;
}

export interface DashboardAttributes {
  title: string;
  description?: string;
  panels: DashboardPanel[];
  query?: { language: Language; query: string };
  filters?: Filter[];
  timeRange?: { from: string; to: string };
  refreshInterval?: { pause: boolean; value: number };
}

export interface DashboardDataRequest {
  timeRange: TimeRangeMs | null;
  query: { language: Language; query: string };
  filters: Filter[];
  timeZone: string;
}

/** One panel's answer: its table (a visualization's, or a saved search's rows), or its own error. */
export interface PanelData {
  panelId: string;
  type: 'visualization' | 'search';
  title: string;
  visType?: string;
  data: VisTable | null;
  error: ApiErrorBody | null;
}

export interface DashboardData {
  panels: PanelData[];
  took: number;
}

/** The saved dashboard's panels' data (one _msearch on the server). */
export const dashboardData = (id: string, body: DashboardDataRequest, signal?: AbortSignal) =>
  request<DashboardData>('POST', `/api/dashboards/${encodeURIComponent(id)}/data`, body, signal);

/** The data of panels being edited (not saved yet). */
export const panelsData = (body: DashboardDataRequest & { panels: DashboardPanel[] }, signal?: AbortSignal) =>
  request<DashboardData>('POST', '/api/dashboards/data', body, signal);

export const getSavedObject = <A>(type: SavedObjectType, id: string) =>
  request<SavedObject<A>>('GET', `/api/saved_objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);
