// Discover's first screen without waterfalls: main.tsx calls startFirstScreen before the first
// render, so the data views request, then the fields and first search requests (in parallel), are
// on their way while the page is still being rendered (the histogram needs no chunk of its own). The page takes
// each prefetched answer once, when it asks for the same thing; anything else asks again.

import { type DataView, type Field, fields as fetchFields, listDataViews, search as apiSearch, type SearchResponse, type SearchRequest } from '../../api';
import { resolveRange } from '../../lib/datemath';
import { autoInterval, type Interval } from '../../lib/interval';
import { pageSize } from '../../lib/settings';
import { type DiscoverState, urlToState } from '../../lib/state';

type Views = { data_views: DataView[]; default: string | null };
type Fields = { fields: Field[]; indices: string[] };

export interface FirstSearch {
  key: string;
  request: SearchRequest;
  interval: Interval | null;
  response: Promise<SearchResponse>;
}

let views: Promise<Views> | null = null;
let fields: { pattern: string; response: Promise<Fields> } | null = null;
let search: FirstSearch | null = null;

/** The first page's request (with the histogram) for a state, or null for an invalid time range. */
export function firstPageRequest(
  dataView: DataView,
  state: DiscoverState,
  columns: string[],
  size: number,
  now: number,
): { request: SearchRequest; interval: Interval | null } | null {
  const timeField = dataView.timeField ?? null;
  const range = timeField ? resolveRange(state.from, state.to, now) : null;
  if (timeField && !range) return null;
  const interval = range ? autoInterval(range.to - range.from) : null;
  const request: SearchRequest = {
    index: dataView.title,
    timeField,
    query: { language: state.language, query: state.query },
    filters: state.filters,
    from: range?.from ?? null,
    to: range?.to ?? null,
    sort: state.sort,
    size,
    searchAfter: null,
    histogram: interval ? { interval: interval.name } : null,
    columns,
  };
  return { request, interval };
}

/** What identifies a first-page search (its time range as written, not as resolved). */
export function firstSearchKey(dataView: DataView, state: DiscoverState, columns: string[], size: number): string {
  return JSON.stringify([dataView.title, dataView.timeField ?? null, state.query, state.language, state.from, state.to, state.filters, state.sort, columns, size]);
}

/** A promise nobody may ever take must not be reported as unhandled. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Starts what /app/discover?<search> shows first. */
export function startFirstScreen(query: string): void {
  const state = urlToState(query);
  views = quiet(listDataViews());
  views.then(
    (r) => {
      const dv = r.data_views.find((v) => v.id === state.dv) ?? r.data_views.find((v) => v.id === r.default) ?? r.data_views[0];
      if (!dv) return;
      fields = { pattern: dv.title, response: quiet(fetchFields(dv.title)) };
      const size = pageSize();
      const first = firstPageRequest(dv, state, state.columns, size, Date.now());
      if (first) search = { key: firstSearchKey(dv, state, state.columns, size), ...first, response: quiet(apiSearch(first.request)) };
    },
    () => undefined,
  );
}

/** The prefetched data views, once. */
export function takeViews(): Promise<Views> | null {
  const v = views;
  views = null;
  return v;
}

/** The prefetched fields of `pattern`, once. */
export function takeFields(pattern: string): Promise<Fields> | null {
  const f = fields;
  fields = null;
  return f && f.pattern === pattern ? f.response : null;
}

/** The prefetched first search when it is the one with this key, once. */
export function takeFirstSearch(key: string): FirstSearch | null {
  const s = search;
  search = null;
  return s && s.key === key ? s : null;
}
