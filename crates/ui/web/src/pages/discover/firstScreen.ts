// Discover's first screen without waterfalls: main.tsx calls startFirstScreen before the first
// render, so the data views request, then the fields and first search requests (in parallel), are
// on their way before the page is rendered (the histogram needs no chunk of its own); a returning
// visit starts them at once from the data views it remembers. The page takes each prefetched
// answer once, when it asks for the same thing; anything else asks again.

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

/** The data views last listed, kept in the browser: a returning visit starts the first search
 * without waiting for the list (the page checks it against the fresh list, by the search key). */
const VIEWS_KEY = 'sluice:discover:dataViews';

function rememberedViews(): Views | null {
  try {
    const v = JSON.parse(window.localStorage.getItem(VIEWS_KEY) ?? 'null') as Partial<Views> | null;
    return v && Array.isArray(v.data_views) ? { data_views: v.data_views, default: v.default ?? null } : null;
  } catch {
    return null;
  }
}

function rememberViews(v: Views): void {
  try {
    window.localStorage.setItem(VIEWS_KEY, JSON.stringify(v));
  } catch {
    // storage full or disabled: the next visit waits for the list
  }
}

/** The data view a Discover URL shows: the one it names, else the default, else the first. */
function viewFor(r: Views, state: DiscoverState): DataView | undefined {
  return r.data_views.find((v) => v.id === state.dv) ?? r.data_views.find((v) => v.id === r.default) ?? r.data_views[0];
}

/** Starts the fields and first-page requests for `dv`, unless the same ones are already on their way. */
function startSearch(dv: DataView, state: DiscoverState): void {
  const size = pageSize();
  const key = firstSearchKey(dv, state, state.columns, size);
  if (search?.key === key && fields?.pattern === dv.title) return;
  fields = { pattern: dv.title, response: quiet(fetchFields(dv.title)) };
  const first = firstPageRequest(dv, state, state.columns, size, Date.now());
  search = first ? { key, ...first, response: quiet(apiSearch(first.request)) } : null;
}

/** Starts what /app/discover?<search> shows first; settles once the fields and first search are
 * on their way (or the data views failed). */
export function startFirstScreen(query: string): Promise<void> {
  const state = urlToState(query);
  views = quiet(listDataViews());
  // A returning visit: the remembered view, when the URL names it (or names none), starts now.
  const remembered = rememberedViews();
  const guess = remembered && (state.dv ? remembered.data_views.find((v) => v.id === state.dv) : viewFor(remembered, state));
  if (guess) startSearch(guess, state);
  return views.then(
    (r) => {
      rememberViews(r);
      const dv = viewFor(r, state);
      if (dv) {
        startSearch(dv, state);
      } else {
        // the remembered view is gone: nothing prefetched stands for this visit
        search = null;
        fields = null;
      }
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
