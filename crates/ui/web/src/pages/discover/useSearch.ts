// Discover's searches: the first page (with the histogram) whenever the query, filters, time
// range, sort or data view change or `tick` is bumped, then further pages with searchAfter.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type DataView, type Hit, search as apiSearch, type SearchRequest } from '../../api';
import type { Interval } from '../../lib/interval';
import { pageSize } from '../../lib/settings';
import type { DiscoverState } from '../../lib/state';
import { firstPageRequest, firstSearchKey, takeFirstSearch } from './firstScreen';

export interface Result {
  request: SearchRequest;
  total: number;
  totalRelation: 'eq' | 'gte';
  hits: Hit[];
  buckets: { key: number; count: number }[] | null;
  interval: Interval | null;
  /** The last page came back short: nothing more to load. */
  exhausted: boolean;
}

export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e));
}

const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

export function hasMore(r: Result): boolean {
  return !r.exhausted && (r.totalRelation === 'gte' || r.hits.length < r.total);
}

export interface Search {
  /** The loaded pages; null before the first answer and after a failure. */
  result: Result | null;
  /** Why the first page failed. */
  error: ApiError | null;
  loading: boolean;
  loadingMore: boolean;
  /** Why loading a further page failed (the loaded rows stay). */
  moreError: ApiError | null;
  /** Loads the next page (no-op while one is loading or when there is no more). */
  loadMore: () => void;
}

export function useSearch(dataView: DataView | null, state: DiscoverState, tick: number): Search {
  const timeField = dataView?.timeField ?? null;
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const generation = useRef(0);
  const resultRef = useRef<Result | null>(null);
  resultRef.current = result;
  const loadingMoreRef = useRef(false);

  const searchKey = dataView
    ? JSON.stringify([dataView.title, timeField, state.query, state.language, state.from, state.to, state.filters, state.sort])
    : null;
  const columnsRef = useRef(state.columns);
  columnsRef.current = state.columns;

  useEffect(() => {
    if (!dataView) return undefined;
    const gen = ++generation.current;
    // The first screen's search may already be in flight (started in main.tsx, before the page
    // rendered): take it when it is the same search.
    const pre = takeFirstSearch(firstSearchKey(dataView, state, columnsRef.current, pageSize()));
    const first = pre ?? firstPageRequest(dataView, state, columnsRef.current, pageSize(), Date.now());
    if (!first) {
      setResult(null);
      setError(new ApiError(400, 'bad_request', `invalid time range [${state.from}] to [${state.to}]`, 'use date math such as now-15m, or an ISO date'));
      return undefined;
    }
    const { request, interval } = first;
    const ctrl = new AbortController();
    setLoading(true);
    setLoadingMore(false);
    loadingMoreRef.current = false;
    setMoreError(null);
    // One render for the answer: result, error and loading change together.
    (pre ? pre.response : apiSearch(request, ctrl.signal)).then(
      (res) => {
        if (gen !== generation.current) return;
        setResult({
          request,
          total: res.total,
          totalRelation: res.totalRelation,
          hits: res.hits,
          buckets: res.histogram?.buckets ?? null,
          interval,
          exhausted: res.hits.length < request.size,
        });
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (isAbort(e) || gen !== generation.current) return;
        setResult(null);
        setError(asApiError(e));
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [searchKey, tick]);

  const loadMore = useCallback(() => {
    const r = resultRef.current;
    if (!r || !hasMore(r) || loadingMoreRef.current) return;
    const last = r.hits[r.hits.length - 1];
    if (!last?.sort || last.sort.length === 0) {
      setResult({ ...r, exhausted: true });
      return;
    }
    const gen = generation.current;
    const size = pageSize();
    loadingMoreRef.current = true;
    setLoadingMore(true);
    setMoreError(null);
    apiSearch({ ...r.request, size, searchAfter: last.sort, histogram: null })
      .then((res) => {
        if (gen !== generation.current) return;
        setResult((prev) =>
          prev && prev.request === r.request ? { ...prev, hits: prev.hits.concat(res.hits), exhausted: res.hits.length < size } : prev,
        );
      })
      .catch((e: unknown) => {
        if (gen === generation.current) setMoreError(asApiError(e));
      })
      .finally(() => {
        if (gen !== generation.current) return;
        loadingMoreRef.current = false;
        setLoadingMore(false);
      });
  }, []);

  return { result, error, loading, loadingMore, moreError, loadMore };
}
