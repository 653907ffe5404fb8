import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  createSavedObject,
  type DataView,
  type Field,
  fields as fetchFields,
  type Hit,
  listDataViews,
  type SavedObject,
  type SavedSearchAttributes,
  status as apiStatus,
  updateSavedObject,
} from '../../api';
import { ErrorCallout } from '../../components/ErrorCallout';
import { formatNumber, toIso } from '../../lib/format';
import { DEFAULT_STATE, type DiscoverState, type Filter, keepIdentity, REFRESH_INTERVALS, sameFilter, stateToUrl, urlToState } from '../../lib/state';
import type { Primitive } from '../../lib/topValues';
import { navigate, onLinkClick } from '../../router';
import { DocumentTable } from './DocumentTable';
import { FieldList } from './FieldList';
import { FilterBar } from './FilterBar';
import { takeFields, takeViews } from './firstScreen';
import { Histogram } from './Histogram';
import { QueryBar } from './QueryBar';
import { OpenDialog, SaveDialog } from './SavedSearches';
import { asApiError, hasMore, useSearch } from './useSearch';

/** How often the page asks /api/status while the backend is unreachable or the index is missing. */
const RECOVERY_POLL_MS = 2000;

/** Applies a change to the Discover state in the URL (pushState, so back/forward navigate). */
function updateUrl(patch: Partial<DiscoverState>, replace = false): void {
  const current = urlToState(window.location.search);
  navigate(`/app/discover${stateToUrl({ ...current, ...patch })}`, replace);
}

export function DiscoverPage({ search }: { search: string }) {
  const previous = useRef<DiscoverState | null>(null);
  const state = useMemo(() => keepIdentity(previous.current, urlToState(search)), [search]);
  previous.current = state;

  // Bumped to search again: Refresh, the refresh interval, recovery after an outage.
  const [tick, setTick] = useState(0);
  const rerun = useCallback(() => setTick((t) => t + 1), []);

  // --- data views -----------------------------------------------------------------------------
  const [views, setViews] = useState<{ list: DataView[]; def: string | null } | null>(null);
  const [viewsError, setViewsError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (views) return undefined;
    let live = true;
    (takeViews() ?? listDataViews())
      .then((r) => {
        if (!live) return;
        setViews({ list: r.data_views, def: r.default });
        setViewsError(null);
      })
      .catch((e: unknown) => live && setViewsError(asApiError(e)));
    return () => {
      live = false;
    };
  }, [views, tick]);

  const dataView = views?.list.find((v) => v.id === state.dv) ?? null;
  useEffect(() => {
    if (!views || views.list.length === 0 || dataView) return;
    const pick = views.list.find((v) => v.id === views.def) ?? views.list[0]!;
    updateUrl({ dv: pick.id }, true);
  }, [views, dataView]);
  const timeField = dataView?.timeField ?? null;

  // --- fields ---------------------------------------------------------------------------------
  const [fieldList, setFieldList] = useState<{ pattern: string; fields: Field[]; indices: string[] } | null>(null);
  const fieldsLoaded = fieldList !== null && fieldList.pattern === dataView?.title;
  useEffect(() => {
    if (!dataView || fieldsLoaded) return undefined;
    const ctrl = new AbortController();
    (takeFields(dataView.title) ?? fetchFields(dataView.title, ctrl.signal))
      .then((r) => setFieldList({ pattern: dataView.title, fields: r.fields, indices: r.indices }))
      .catch(() => undefined); // the search reports the same outage in place
    return () => ctrl.abort();
  }, [dataView?.title, fieldsLoaded, tick]);

  // --- search ---------------------------------------------------------------------------------
  const { result, error, loading, loadingMore, moreError, loadMore } = useSearch(dataView, state, tick);
  const errorRef = useRef<ApiError | null>(null);
  errorRef.current = error;

  // The field list keeps the last loaded sample while an error is shown.
  const sampleRef = useRef<{ pattern: string; hits: Hit[] }>({ pattern: '', hits: [] });
  if (result && dataView) sampleRef.current = { pattern: dataView.title, hits: result.hits };
  const sample = result?.hits ?? (sampleRef.current.pattern === dataView?.title ? sampleRef.current.hits : []);

  // --- recovery: poll /api/status while the backend is away, then search again ---------------
  const waiting = Boolean((error && error.isTransient) || (viewsError && viewsError.isTransient));
  useEffect(() => {
    if (!waiting) return undefined;
    let live = true;
    const timer = window.setInterval(() => {
      apiStatus()
        .then((s) => {
          if (live && s.backend.ok) rerun();
        })
        .catch(() => undefined);
    }, RECOVERY_POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [waiting, rerun]);

  // --- a pattern that matches no index yet: say so, and look again every 2 s ------------------
  const noIndex = fieldsLoaded && fieldList.indices.length === 0;
  useEffect(() => {
    if (!noIndex || !dataView) return undefined;
    const title = dataView.title;
    let live = true;
    const timer = window.setInterval(() => {
      fetchFields(title)
        .then((r) => {
          if (!live || r.indices.length === 0) return;
          setFieldList({ pattern: title, fields: r.fields, indices: r.indices });
          rerun();
        })
        .catch(() => undefined);
    }, RECOVERY_POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [noIndex, dataView?.title, rerun]);

  // --- live mode: the refresh interval re-resolves the range and searches again --------------
  useEffect(() => {
    const ms = REFRESH_INTERVALS.find((r) => r.value === state.refresh)?.ms ?? 0;
    if (ms === 0) return undefined;
    const timer = window.setInterval(() => {
      if (!errorRef.current && !document.hidden) rerun();
    }, ms);
    return () => window.clearInterval(timer);
  }, [state.refresh, rerun]);

  // --- actions --------------------------------------------------------------------------------
  const addFilter = useCallback((field: string, value: Primitive, negate: boolean) => {
    const current = urlToState(window.location.search).filters;
    const f: Filter = { field, value, negate, disabled: false };
    const i = current.findIndex((x) => sameFilter(x, f));
    updateUrl({ filters: i >= 0 ? current.map((x, j) => (j === i ? f : x)) : [...current, f] });
  }, []);
  const setColumns = useCallback((columns: string[]) => updateUrl({ columns }), []);
  const toggleColumn = useCallback((field: string) => {
    const cols = urlToState(window.location.search).columns;
    updateUrl({ columns: cols.includes(field) ? cols.filter((c) => c !== field) : [...cols, field] });
  }, []);
  const selectRange = useCallback((from: number, to: number) => updateUrl({ from: toIso(from), to: toIso(to) }), []);

  // --- saved searches -------------------------------------------------------------------------
  const [savedSearch, setSavedSearch] = useState<{ id: string; title: string } | null>(null);
  const [dialog, setDialog] = useState<'save' | 'open' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const save = async (title: string, asNew: boolean): Promise<void> => {
    const attributes: SavedSearchAttributes = {
      title,
      dataViewId: state.dv,
      query: { language: state.language, query: state.query },
      filters: state.filters,
      columns: state.columns,
      sort: state.sort,
      time: { from: state.from, to: state.to },
    };
    const saved =
      savedSearch && !asNew
        ? await updateSavedObject('search', savedSearch.id, attributes)
        : await createSavedObject('search', attributes);
    setSavedSearch({ id: saved.id, title });
    setNotice(`Saved "${title}"`);
  };
  const open = (item: SavedObject<SavedSearchAttributes>): void => {
    const a = item.attributes;
    setSavedSearch({ id: item.id, title: a.title });
    setDialog(null);
    updateUrl({
      dv: a.dataViewId ?? state.dv,
      query: a.query?.query ?? '',
      language: a.query?.language === 'lucene' ? 'lucene' : 'kuery',
      filters: Array.isArray(a.filters) ? a.filters : [],
      columns: Array.isArray(a.columns) ? a.columns : [],
      sort: a.sort === 'asc' ? 'asc' : 'desc',
      from: a.time?.from ?? state.from,
      to: a.time?.to ?? state.to,
    });
    setNotice(`Opened "${a.title}"`);
  };
  const newSearch = (): void => {
    setSavedSearch(null);
    navigate(`/app/discover${stateToUrl({ ...DEFAULT_STATE, dv: state.dv, from: state.from, to: state.to })}`);
  };
  const share = (): void => {
    const url = window.location.href;
    const done = (): void => setNotice('Link copied to the clipboard');
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, () => setNotice(`Copy this link: ${url}`));
    else setNotice(`Copy this link: ${url}`);
  };

  // --- render ---------------------------------------------------------------------------------
  if (viewsError && !views) {
    return (
      <section class="page discover">
        <h1>Discover</h1>
        <ErrorCallout error={viewsError} retrying={viewsError.isTransient} />
      </section>
    );
  }
  if (!views) {
    return (
      <section class="page discover">
        <h1>Discover</h1>
        <p role="status">Loading data views…</p>
      </section>
    );
  }
  if (views.list.length === 0) {
    return (
      <section class="page discover">
        <h1>Discover</h1>
        <div class="callout">
          <p class="callout-title">No data views yet</p>
          <p>
            Discover searches the indices a data view names (such as <code>python-logs-*</code>).{' '}
            <a href="/app/management/data_views" onClick={onLinkClick}>
              Create a data view
            </a>{' '}
            to start exploring.
          </p>
        </div>
      </section>
    );
  }

  return (
    <div class="discover">
      <div class="discover-header">
        <h1>{savedSearch ? savedSearch.title : 'Discover'}</h1>
        <div class="discover-actions">
          <button type="button" class="link-button" onClick={newSearch}>
            New
          </button>
          <button type="button" class="link-button" onClick={() => setDialog('open')}>
            Open
          </button>
          <button type="button" class="link-button" onClick={() => setDialog('save')}>
            Save
          </button>
          <button type="button" class="link-button" onClick={share}>
            Share
          </button>
        </div>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
      </div>
      <QueryBar
        state={state}
        dataViews={views.list}
        timeBased={timeField !== null}
        onChange={(patch) => updateUrl(patch)}
        onRefresh={rerun}
      />
      <FilterBar filters={state.filters} fields={fieldsLoaded ? fieldList.fields : []} onChange={(filters) => updateUrl({ filters })} />
      <div class="discover-body">
        <FieldList
          fields={fieldsLoaded ? fieldList.fields : []}
          hits={sample}
          columns={state.columns}
          onToggleColumn={toggleColumn}
          onFilter={addFilter}
        />
        <section class="discover-main" aria-label="Results" aria-busy={loading}>
          {error && <ErrorCallout error={error} query={state.query} pattern={dataView?.title} retrying={error.isTransient} />}
          {!error && noIndex && dataView && (
            <ErrorCallout
              error={new ApiError(404, 'index_not_found_exception', `the pattern ${dataView.title} matches no index yet`)}
              pattern={dataView.title}
              retrying
            />
          )}
          {!error && !result && loading && <p class="loading">Searching…</p>}
          {!error && result && (
            <>
              <div class="results-header">
                <div role="status" aria-label="Hits" class="hits" data-count={result.total} data-loading={loading ? 'true' : 'false'}>
                  <strong>
                    {result.totalRelation === 'gte' ? '≥ ' : ''}
                    {formatNumber(result.total)}
                  </strong>{' '}
                  {result.total === 1 ? 'hit' : 'hits'}
                </div>
                {loading && <span class="subdued">Updating…</span>}
              </div>
              {result.buckets && result.interval && timeField && result.request.from !== null && result.request.to !== null && (
                <Histogram
                  buckets={result.buckets}
                  interval={result.interval}
                  from={result.request.from}
                  to={result.request.to}
                  timeField={timeField}
                  onSelectRange={selectRange}
                />
              )}
              {result.total === 0 ? (
                <div class="callout">
                  <p class="callout-title">No results match your search criteria</p>
                  <p>Expand the time range, remove filters, or change the query.</p>
                </div>
              ) : (
                <DocumentTable
                  hits={result.hits}
                  total={result.total}
                  totalRelation={result.totalRelation}
                  hasMore={hasMore(result)}
                  loadingMore={loadingMore}
                  onLoadMore={loadMore}
                  columns={state.columns}
                  timeField={timeField}
                  sort={state.sort}
                  onSort={(sort) => updateUrl({ sort })}
                  onColumns={setColumns}
                  onFilter={addFilter}
                />
              )}
              {moreError && <ErrorCallout error={moreError} />}
            </>
          )}
        </section>
      </div>
      {dialog === 'save' && (
        <SaveDialog initialTitle={savedSearch?.title ?? ''} canOverwrite={savedSearch !== null} onSave={save} onClose={() => setDialog(null)} />
      )}
      {dialog === 'open' && <OpenDialog onOpen={open} onClose={() => setDialog(null)} />}
    </div>
  );
}
