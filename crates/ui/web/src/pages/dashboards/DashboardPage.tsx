import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  createSavedObject,
  type DashboardAttributes,
  type DashboardData,
  dashboardData,
  type DashboardPanel,
  getSavedObject,
  listSavedObjects,
  type PanelData,
  panelsData,
  type SavedSearchAttributes,
  updateSavedObject,
  type VisAttributes,
} from '../../api';
import { ErrorCallout } from '../../components/ErrorCallout';
import { GlobalBar, updateGlobal } from '../../components/GlobalBar';
import { RenameDialog } from '../../components/ListDialogs';
import { Modal } from '../../components/Modal';
import { DataTable } from '../../components/vis/DataTable';
import { VisChart } from '../../components/vis/VisChart';
import { toIso } from '../../lib/format';
import { addFilters, dataRequest, type GlobalState, refreshMs, urlToGlobal } from '../../lib/global';
import { freeSpot, remove as removePanel } from '../../lib/grid';
import type { Filter, RefreshInterval } from '../../lib/state';
import { useAutoRefresh, useRecovery } from '../../lib/useRecovery';
import type { ChartType, VisParams } from '../../lib/vis/spec';
import { navigate, onLinkClick } from '../../router';
import { asApiError } from '../discover/useSearch';
import { useDataViews, useFields } from '../visualize/useFields';
import { DashboardGrid } from './DashboardGrid';

export interface DashboardPageProps {
  /** The saved dashboard's id; null for a new one. */
  id: string | null;
  search: string;
}

interface Library {
  vis: Map<string, VisAttributes>;
  searches: Map<string, SavedSearchAttributes>;
}

const REFRESH_BY_MS: Array<[number, RefreshInterval]> = [
  [5_000, '5s'],
  [10_000, '10s'],
  [60_000, '1m'],
];

/** The dashboard's saved query, filters, time range and refresh interval: the URL's defaults. */
function savedGlobal(a: DashboardAttributes | null): Partial<GlobalState> {
  if (!a) return { from: 'now-24h' };
  const out: Partial<GlobalState> = { from: a.timeRange?.from ?? 'now-24h', to: a.timeRange?.to ?? 'now' };
  if (a.query) {
    out.query = a.query.query;
    out.language = a.query.language;
  }
  if (a.filters) out.filters = a.filters;
  const r = a.refreshInterval;
  if (r && !r.pause) out.refresh = REFRESH_BY_MS.find(([ms]) => ms === r.value)?.[1] ?? 'off';
  return out;
}

const pageKeys = (): Record<string, string | null> => ({});

const contentOf = (panels: readonly DashboardPanel[]): string => JSON.stringify(panels.map((p) => [p.panelId, p.type, p.ref, p.title ?? null]));

/** One dashboard: the global query bar, filters and time picker over a grid of panels. */
export function DashboardPage({ id, search }: DashboardPageProps) {
  const [saved, setSaved] = useState<{ id: string; attributes: DashboardAttributes } | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [panels, setPanels] = useState<DashboardPanel[]>([]);
  const [dirty, setDirty] = useState(false);
  const [editing, setEditing] = useState(id === null);
  const [full, setFull] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'add' | 'save' | { retitle: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [library, setLibrary] = useState<Library | null>(null);
  const [tick, setTick] = useState(0);
  const rerun = useCallback(() => setTick((t) => t + 1), []);

  const defaults = useMemo(() => savedGlobal(saved?.attributes ?? null), [saved]);
  const global = useMemo(() => urlToGlobal(search, defaults), [search, defaults]);

  // --- the dashboard and the saved objects its panels name ---------------------------------------
  useEffect(() => {
    setLoadError(null);
    setFull(null);
    if (id === null) {
      setSaved(null);
      setPanels([]);
      setEditing(true);
      return;
    }
    getSavedObject<DashboardAttributes>('dashboard', id)
      .then((o) => {
        setSaved({ id: o.id, attributes: o.attributes });
        setPanels(Array.isArray(o.attributes.panels) ? o.attributes.panels : []);
        setDirty(false);
      })
      .catch((e: unknown) => setLoadError(asApiError(e)));
  }, [id]);

  const loadLibrary = useCallback(() => {
    Promise.all([listSavedObjects<VisAttributes>('visualization'), listSavedObjects<SavedSearchAttributes>('search')])
      .then(([v, s]) =>
        setLibrary({
          vis: new Map(v.saved_objects.map((o) => [o.id, o.attributes])),
          searches: new Map(s.saved_objects.map((o) => [o.id, o.attributes])),
        }),
      )
      .catch(() => undefined); // the panels' own answers carry their titles and errors
  }, []);
  useEffect(loadLibrary, [loadLibrary]);

  // --- the panels' data: one request (one _msearch on the server) ---------------------------------
  const [data, setData] = useState<{ byPanel: Map<string, PanelData>; at: number } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const ready = id === null || saved !== null;
  // What the panels show (not where): moving or resizing a panel asks for nothing.
  const contentKey = contentOf(panels);
  const edited = id === null || saved === null || contentKey !== contentOf(saved.attributes.panels);
  useEffect(() => {
    if (!ready || panels.length === 0) {
      setData(null);
      return undefined;
    }
    const body = dataRequest(global, Date.now());
    if (!body) return undefined;
    const ctrl = new AbortController();
    setLoading(true);
    const req: Promise<DashboardData> = edited || id === null ? panelsData({ ...body, panels }, ctrl.signal) : dashboardData(id, body, ctrl.signal);
    req
      .then((r) => {
        setData({ byPanel: new Map(r.panels.map((p) => [p.panelId, p])), at: Date.now() });
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(asApiError(e));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [ready, contentKey, edited, id, global.query, global.language, global.from, global.to, JSON.stringify(global.filters), tick]);

  // The backend away (the whole answer, or panels' own errors): poll, then ask again.
  const panelWaiting = data !== null && [...data.byPanel.values()].some((p) => p.error && new ApiError(p.error.status, p.error.type, p.error.reason).isTransient);
  useRecovery(Boolean(error?.isTransient) || panelWaiting, rerun);
  useAutoRefresh(error ? 0 : refreshMs(global), rerun);

  // --- fields for "Add filter": the data views the panels use --------------------------------------
  const { views } = useDataViews();
  const firstVis = panels.map((p) => (p.type === 'visualization' ? library?.vis.get(p.ref)?.spec.dataView : library?.searches.get(p.ref)?.dataViewId)).find(Boolean);
  const fields = useFields(views?.find((v) => v.id === firstVis)?.title ?? views?.[0]?.title ?? null);

  // --- actions -------------------------------------------------------------------------------------
  const addFilter = useCallback((filters: Filter[]) => {
    updateGlobal({ filters: addFilters(urlToGlobal(window.location.search, defaults).filters, filters) }, pageKeys(), defaults);
  }, [defaults]);
  const zoom = useCallback((from: number, to: number) => updateGlobal({ from: toIso(from), to: toIso(to) }, pageKeys(), defaults), [defaults]);
  const changePanels = (next: DashboardPanel[]): void => {
    setPanels(next);
    setDirty(true);
  };
  const addPanel = (type: DashboardPanel['type'], ref: string): void => {
    const used = new Set(panels.map((p) => p.panelId));
    let n = panels.length + 1;
    while (used.has(`p${n}`)) n += 1;
    const spot = freeSpot(panels, 24, 15);
    changePanels([...panels, { panelId: `p${n}`, type, ref, ...spot }]);
    setNotice('Panel added');
  };
  const titleOf = (p: DashboardPanel): string =>
    p.title ??
    data?.byPanel.get(p.panelId)?.title ??
    (p.type === 'visualization' ? library?.vis.get(p.ref)?.title : library?.searches.get(p.ref)?.title) ??
    p.ref;

  const save = async (title: string, asNew: boolean, storeTime: boolean): Promise<void> => {
    const attributes: DashboardAttributes = {
      ...(saved?.attributes ?? {}),
      title,
      panels,
      query: { language: global.language, query: global.query },
      filters: global.filters,
    };
    if (storeTime) attributes.timeRange = { from: global.from, to: global.to };
    else delete attributes.timeRange;
    const ms = REFRESH_BY_MS.find(([, r]) => r === global.refresh)?.[0] ?? 0;
    attributes.refreshInterval = { pause: ms === 0, value: ms };
    const o = saved && !asNew ? await updateSavedObject('dashboard', saved.id, attributes) : await createSavedObject('dashboard', attributes);
    setSaved({ id: o.id, attributes });
    setDirty(false);
    setEditing(false);
    setNotice(`Saved "${title}"`);
    if (o.id !== id) navigate(`/app/dashboards/view/${encodeURIComponent(o.id)}${window.location.search}`, id === null);
  };

  // Escape leaves full screen.
  useEffect(() => {
    if (!full) return undefined;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') setFull(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [full]);

  if (loadError) {
    return (
      <section class="page">
        <h1>Dashboard</h1>
        <ErrorCallout error={loadError} retrying={loadError.isTransient} />
        <a href="/app/dashboards" onClick={onLinkClick}>
          Back to the dashboards
        </a>
      </section>
    );
  }

  const title = saved?.attributes.title ?? (id === null ? 'New dashboard' : 'Dashboard');
  const renderPanel = (p: DashboardPanel, handles: ComponentChildren, isFull = false) => (
    <Panel
      panel={p}
      title={titleOf(p)}
      data={data?.byPanel.get(p.panelId) ?? null}
      params={p.type === 'visualization' ? library?.vis.get(p.ref)?.spec.params ?? {} : {}}
      loading={loading}
      editing={editing}
      handles={handles}
      full={isFull}
      onFull={() => setFull(isFull ? null : p.panelId)}
      onRemove={() => changePanels(removePanel(panels, p.panelId))}
      onRetitle={() => setDialog({ retitle: p.panelId })}
      onFilters={addFilter}
      onTimeRange={zoom}
    />
  );
  const fullPanel = full ? panels.find((p) => p.panelId === full) : undefined;

  return (
    <div class="dashboard-page">
      <div class="page-header">
        <h1>{title}</h1>
        <div class="page-actions">
          <a class="button" href="/app/dashboards" onClick={onLinkClick}>
            All dashboards
          </a>
          {editing ? (
            <>
              <button type="button" class="button" onClick={() => setDialog('add')}>
                Add panel
              </button>
              <button type="button" class="button button-primary" onClick={() => setDialog('save')}>
                Save
              </button>
              {saved && (
                <button
                  type="button"
                  class="button"
                  onClick={() => {
                    setPanels(saved.attributes.panels);
                    setDirty(false);
                    setEditing(false);
                  }}
                >
                  {dirty ? 'Discard changes' : 'Done'}
                </button>
              )}
            </>
          ) : (
            <button type="button" class="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
        </div>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
      </div>
      <GlobalBar global={global} pageKeys={pageKeys} fields={fields} label="Dashboard query" onRefresh={rerun} />
      {error && <ErrorCallout error={error} query={global.query} retrying={error.isTransient} />}
      <div
        class="dash-status visually-hidden"
        role="status"
        aria-label="Dashboard status"
        data-loading={loading ? 'true' : 'false'}
        data-rendered-at={data?.at ?? ''}
      >
        {loading ? 'Loading panels…' : data ? `${panels.length} panels loaded` : ''}
      </div>
      {panels.length === 0 && !error && (
        <div class="callout">
          <p class="callout-title">This dashboard is empty</p>
          <p>{editing ? 'Use Add panel to put visualizations and saved searches on it.' : 'Use Edit, then Add panel, to fill it.'}</p>
        </div>
      )}
      {fullPanel ? (
        <div class="dash-full">{renderPanel(fullPanel, null, true)}</div>
      ) : (
        <DashboardGrid panels={panels} editing={editing} onChange={changePanels} titleOf={titleOf} renderPanel={(p, h) => renderPanel(p, h)} />
      )}
      {dialog === 'add' && (
        <AddPanelDialog
          library={library}
          onAdd={(type, ref) => addPanel(type, ref)}
          onClose={() => setDialog(null)}
          onReload={loadLibrary}
        />
      )}
      {typeof dialog === 'object' && dialog !== null && (
        <RenameDialog
          what="panel"
          initial={titleOf(panels.find((p) => p.panelId === dialog.retitle) ?? panels[0]!)}
          onRename={async (t) => changePanels(panels.map((p) => (p.panelId === dialog.retitle ? { ...p, title: t } : p)))}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'save' && (
        <SaveDashboardDialog
          initialTitle={saved?.attributes.title ?? ''}
          canOverwrite={saved !== null}
          initialStoreTime={saved ? saved.attributes.timeRange !== undefined : true}
          onSave={save}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}

interface PanelProps {
  panel: DashboardPanel;
  title: string;
  data: PanelData | null;
  params: VisParams;
  loading: boolean;
  editing: boolean;
  handles: ComponentChildren;
  full: boolean;
  onFull: () => void;
  onRemove: () => void;
  onRetitle: () => void;
  onFilters: (f: Filter[]) => void;
  onTimeRange: (from: number, to: number) => void;
}

/** A panel: a region named by its title, with its chart, saved search rows or its own error. */
function Panel({ panel, title, data, params, loading, editing, handles, full, onFull, onRemove, onRetitle, onFilters, onTimeRange }: PanelProps) {
  const id = useId();
  const ref = useRef<HTMLElement>(null);
  const error = data?.error ? new ApiError(data.error.status, data.error.type, data.error.reason, data.error.hint ?? null) : null;
  return (
    <section
      ref={ref}
      class={`dash-panel panel${full ? ' dash-panel-full' : ''}`}
      role="region"
      aria-labelledby={`${id}-title`}
      aria-busy={loading}
      data-panel-state={error ? 'error' : data?.data ? 'rendered' : 'loading'}
    >
      <header class="panel-header">
        {handles}
        <h2 id={`${id}-title`} class="panel-title">
          {title}
        </h2>
        <div class="panel-actions">
          {panel.type === 'visualization' && editing && (
            <a class="icon-button" href={`/app/visualize/edit/${encodeURIComponent(panel.ref)}`} onClick={onLinkClick} aria-label={`Edit visualization ${title}`} title="Edit visualization">
              ✎
            </a>
          )}
          {editing && !full && (
            <button type="button" class="icon-button" aria-label={`Panel title ${title}`} title="Change the panel's title" onClick={onRetitle}>
              Aa
            </button>
          )}
          <button type="button" class="icon-button" aria-label={full ? `Exit full screen ${title}` : `Full screen ${title}`} title={full ? 'Exit full screen (Escape)' : 'Full screen'} onClick={onFull}>
            {full ? '⤡' : '⤢'}
          </button>
          {editing && !full && (
            <button type="button" class="icon-button" aria-label={`Remove panel ${title}`} title="Remove from dashboard" onClick={onRemove}>
              ×
            </button>
          )}
        </div>
      </header>
      <div class="panel-body">
        {error ? (
          <ErrorCallout error={error} retrying={error.isTransient} />
        ) : !data?.data ? (
          <p class="subdued" role="status">
            Loading…
          </p>
        ) : data.type === 'search' ? (
          data.data.rows.length === 0 ? (
            <div class="vis-empty" role="status">
              No results found
            </div>
          ) : (
            <DataTable table={data.data} label={`${title} documents`} limit={50} />
          )
        ) : (
          <VisChart type={(data.visType ?? 'table') as ChartType} params={params} table={data.data} title={title} onFilters={onFilters} onTimeRange={onTimeRange} />
        )}
      </div>
    </section>
  );
}

function AddPanelDialog({ library, onAdd, onClose, onReload }: { library: Library | null; onAdd: (type: DashboardPanel['type'], ref: string) => void; onClose: () => void; onReload: () => void }) {
  useEffect(onReload, []);
  const vis = library ? [...library.vis.entries()].sort((a, b) => a[1].title.localeCompare(b[1].title)) : [];
  const searches = library ? [...library.searches.entries()].sort((a, b) => a[1].title.localeCompare(b[1].title)) : [];
  return (
    <Modal title="Add panels" onClose={onClose}>
      {!library && <p role="status">Loading…</p>}
      {library && vis.length + searches.length === 0 && <p>Nothing saved yet: create a visualization or save a search in Discover first.</p>}
      {vis.length > 0 && (
        <>
          <h3>Visualizations</h3>
          <ul class="saved-list" aria-label="Visualizations">
            {vis.map(([ref, a]) => (
              <li key={ref}>
                <button type="button" class="link-button" aria-label={`Add ${a.title}`} onClick={() => onAdd('visualization', ref)}>
                  {a.title}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {searches.length > 0 && (
        <>
          <h3>Saved searches</h3>
          <ul class="saved-list" aria-label="Saved searches">
            {searches.map(([ref, a]) => (
              <li key={ref}>
                <button type="button" class="link-button" aria-label={`Add ${a.title}`} onClick={() => onAdd('search', ref)}>
                  {a.title}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <div class="form-actions">
        <a class="button" href="/app/visualize/create?type=bar" onClick={onLinkClick}>
          Create visualization
        </a>
        <button type="button" class="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function SaveDashboardDialog({
  initialTitle,
  canOverwrite,
  initialStoreTime,
  onSave,
  onClose,
}: {
  initialTitle: string;
  canOverwrite: boolean;
  initialStoreTime: boolean;
  onSave: (title: string, asNew: boolean, storeTime: boolean) => Promise<void>;
  onClose: () => void;
}) {
  const [title, setTitle] = useState(initialTitle);
  const [asNew, setAsNew] = useState(false);
  const [storeTime, setStoreTime] = useState(initialStoreTime);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (title.trim() === '') return setError('A title is required');
    try {
      await onSave(title.trim(), asNew, storeTime);
      onClose();
    } catch (err) {
      setError(asApiError(err).reason);
    }
  };
  return (
    <Modal title="Save dashboard" onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <label class="form-row">
          <span>Title</span>
          <input type="text" value={title} required autoFocus onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label class="checkbox">
          <input type="checkbox" checked={storeTime} onChange={(e) => setStoreTime(e.currentTarget.checked)} />
          Store time with dashboard
        </label>
        {canOverwrite && (
          <label class="checkbox">
            <input type="checkbox" checked={asNew} onChange={(e) => setAsNew(e.currentTarget.checked)} />
            Save as new dashboard
          </label>
        )}
        {error && (
          <p role="alert" class="field-error">
            {error}
          </p>
        )}
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
