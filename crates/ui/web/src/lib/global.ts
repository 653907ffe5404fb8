// The state Visualize and Dashboard share with Discover's query bar: query, language, time range,
// refresh interval and filters, in the URL with Discover's keys (`q lang from to refresh f`), so
// back/forward and copied links work the same on every page.

import type { DashboardDataRequest } from '../api';
import { parseDateMath } from './datemath';
import { DEFAULT_STATE, type DiscoverState, type Filter, normalizeFilter, REFRESH_INTERVALS, sameFilter, urlToState } from './state';

export type GlobalState = Pick<DiscoverState, 'query' | 'language' | 'from' | 'to' | 'refresh' | 'filters'>;

export function urlToGlobal(search: string, defaults: Partial<GlobalState> = {}): GlobalState {
  const p = new URLSearchParams(search);
  const s = urlToState(search);
  return {
    query: p.has('q') ? s.query : defaults.query ?? s.query,
    language: p.has('lang') ? s.language : defaults.language ?? s.language,
    from: p.has('from') ? s.from : defaults.from ?? s.from,
    to: p.has('to') ? s.to : defaults.to ?? s.to,
    refresh: p.has('refresh') ? s.refresh : defaults.refresh ?? s.refresh,
    filters: p.has('f') ? s.filters : defaults.filters ?? s.filters,
  };
}

/** The query string for a global state plus page-specific keys (written first, in order). */
export function globalToUrl(g: GlobalState, extra: Record<string, string | null> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v !== null) p.set(k, v);
  if (g.query !== '') p.set('q', g.query);
  p.set('lang', g.language);
  p.set('from', g.from);
  p.set('to', g.to);
  p.set('refresh', g.refresh);
  if (g.filters.length > 0) p.set('f', JSON.stringify(g.filters.map(normalizeFilter)));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** The query bar's view of the global state (it edits Discover's state shape). */
export function asDiscoverState(g: GlobalState): DiscoverState {
  return { ...DEFAULT_STATE, ...g };
}

/** Adds filters, replacing ones that select the same documents (Kibana's click-to-filter). */
export function addFilters(current: readonly Filter[], added: readonly Filter[]): Filter[] {
  const out = current.slice();
  for (const f of added) {
    const i = out.findIndex((x) => sameFilter(x, f));
    const clean = { ...f, disabled: false };
    if (i >= 0) out[i] = clean;
    else out.push(clean);
  }
  return out;
}

/** The browser's time zone as the API takes it (an IANA name; `UTC` for the UTC aliases). */
export function browserTimeZone(): string {
  let tz = 'UTC';
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    tz = 'UTC';
  }
  return /^(Etc\/)?(UTC|GMT|UCT|Zulu|Universal)(\+0|-0|0)?$/i.test(tz) ? 'UTC' : tz;
}

/** The request body of a panel's data for the global state at `now` (null time range: invalid dates). */
export function dataRequest(g: GlobalState, now: number): DashboardDataRequest | null {
  const from = parseDateMath(g.from, { now });
  const to = parseDateMath(g.to, { now, roundUp: true });
  if (from === null || to === null || to < from) return null;
  return {
    timeRange: { from, to },
    query: { language: g.language, query: g.query },
    filters: g.filters.map(normalizeFilter),
    timeZone: browserTimeZone(),
  };
}

export function refreshMs(g: GlobalState): number {
  return REFRESH_INTERVALS.find((r) => r.value === g.refresh)?.ms ?? 0;
}
