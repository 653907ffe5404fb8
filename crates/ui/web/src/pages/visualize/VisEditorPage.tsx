import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { type ApiError, createSavedObject, getSavedObject, updateSavedObject, type VisAttributes } from '../../api';
import { ErrorCallout } from '../../components/ErrorCallout';
import { GlobalBar, updateGlobal } from '../../components/GlobalBar';
import { Modal } from '../../components/Modal';
import { VisChart } from '../../components/vis/VisChart';
import { addFilters, urlToGlobal } from '../../lib/global';
import { formatNumber, toIso } from '../../lib/format';
import type { Filter } from '../../lib/state';
import {
  addBucket,
  addMetric,
  type BucketRole,
  bucketRoles,
  canAddBucket,
  canAddMetric,
  CHART_LABELS,
  CHART_TYPES,
  type ChartType,
  type DataViewInfo,
  moveBucket,
  newSpec,
  parseSpec,
  removeBucket,
  removeMetric,
  roleLabel,
  setChartType,
  setParams,
  specProblems,
  updateBucket,
  updateMetric,
  type VisSpec,
} from '../../lib/vis/spec';
import { navigate, onLinkClick } from '../../router';
import { asApiError } from '../discover/useSearch';
import { BucketEditor, MetricEditor, OptionsEditor } from './AggEditors';
import { useDataViews, useFields } from './useFields';
import { useVisData } from './useVisData';

export interface VisEditorPageProps {
  /** The saved visualization's id; null for a new one. */
  id: string | null;
  search: string;
}

const pageKeys = (): Record<string, string | null> => {
  const p = new URLSearchParams(window.location.search);
  return { type: p.get('type'), dv: p.get('dv'), vis: p.get('vis') };
};

/** The editor's unsaved spec from the URL (`vis`, like Kibana's `_a`), when it looks like one. */
function specFromUrl(search: string): VisSpec | null {
  return parseSpec(new URLSearchParams(search).get('vis'));
}

/** Writes the spec being edited into the URL without a history entry (a copied link reproduces it). */
function specToUrl(spec: VisSpec): void {
  const p = new URLSearchParams(window.location.search);
  const text = JSON.stringify(spec);
  if (p.get('vis') === text) return;
  p.set('vis', text);
  window.history.replaceState(window.history.state, '', `${window.location.pathname}?${p.toString()}`);
}

/** Kibana's aggregation-based editor: data view, chart type, metrics, buckets and options on the
 * side; the chart, updated as they change (debounced), over the global query, filters and time. */
export function VisEditorPage({ id, search }: VisEditorPageProps) {
  const global = useMemo(() => urlToGlobal(search, { from: 'now-24h' }), [search]);
  const params = new URLSearchParams(search);
  const { views, def, error: viewsError } = useDataViews();
  const [saved, setSaved] = useState<{ id: string; attributes: VisAttributes } | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [spec, setSpec] = useState<VisSpec | null>(null);
  const [tick, setTick] = useState(0);
  const [dialog, setDialog] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  // --- load the saved visualization, or start a new one ------------------------------------------
  useEffect(() => {
    setSpec(null);
    setSaved(null);
    setLoadError(null);
    const fromUrl = specFromUrl(window.location.search);
    if (fromUrl) setSpec(fromUrl);
    if (id === null) return;
    getSavedObject<VisAttributes>('visualization', id)
      .then((o) => {
        setSaved({ id: o.id, attributes: o.attributes });
        setSpec((s) => s ?? o.attributes.spec);
      })
      .catch((e: unknown) => setLoadError(asApiError(e)));
  }, [id]);

  const dvId = spec?.dataView ?? params.get('dv') ?? def ?? views?.[0]?.id ?? null;
  const dataView = views?.find((v) => v.id === dvId) ?? null;
  const fields = useFields(dataView?.title ?? null);
  const dv: DataViewInfo | null = dataView && fields.length > 0 ? { id: dataView.id, timeField: dataView.timeField, fields } : null;

  useEffect(() => {
    // A new visualization, or a saved one whose data view was changed: the chart type's defaults.
    if (spec || !dv || (id !== null && !saved)) return;
    const t = saved?.attributes.spec.type ?? params.get('type');
    setSpec(newSpec((CHART_TYPES as readonly string[]).includes(t ?? '') ? (t as ChartType) : 'bar', dv));
  }, [id, spec, saved, dv?.id]);

  useEffect(() => {
    if (spec) specToUrl(spec);
  }, [spec]);

  const data = useVisData(spec, global, tick);
  const problems = spec ? specProblems(spec) : [];
  const edit = (f: (s: VisSpec) => VisSpec): void => setSpec((s) => (s ? f(s) : s));

  const addFilter = useCallback((filters: Filter[]) => {
    updateGlobal({ filters: addFilters(urlToGlobal(window.location.search).filters, filters) }, pageKeys());
  }, []);
  const zoom = useCallback((from: number, to: number) => updateGlobal({ from: toIso(from), to: toIso(to) }, pageKeys()), []);

  const save = async (title: string, description: string, asNew: boolean): Promise<void> => {
    if (!spec) return;
    const attributes: VisAttributes = description ? { title, description, spec } : { title, spec };
    const o = saved && !asNew ? await updateSavedObject('visualization', saved.id, attributes) : await createSavedObject('visualization', attributes);
    setSaved({ id: o.id, attributes });
    setNotice(`Saved "${title}"`);
    if (o.id !== id) navigate(`/app/visualize/edit/${encodeURIComponent(o.id)}${window.location.search}`, id === null);
  };

  const title = saved?.attributes.title ?? 'New visualization';
  if (loadError) {
    return (
      <section class="page">
        <h1>Visualization</h1>
        <ErrorCallout error={loadError} />
        <a href="/app/visualize" onClick={onLinkClick}>
          Back to the visualizations
        </a>
      </section>
    );
  }
  if (viewsError) {
    return (
      <section class="page">
        <h1>{title}</h1>
        <ErrorCallout error={asApiError(viewsError)} />
      </section>
    );
  }
  if (views && views.length === 0) {
    return (
      <section class="page">
        <h1>{title}</h1>
        <p>
          A visualization reads the indices of a data view.{' '}
          <a href="/app/management/data_views" onClick={onLinkClick}>
            Create a data view
          </a>{' '}
          first.
        </p>
      </section>
    );
  }

  return (
    <div class="vis-editor-page">
      <div class="page-header">
        <h1>{title}</h1>
        <div class="page-actions">
          <a class="button" href="/app/visualize" onClick={onLinkClick}>
            All visualizations
          </a>
          <button type="button" class="button button-primary" disabled={!spec} onClick={() => setDialog(true)}>
            Save
          </button>
        </div>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
      </div>
      <GlobalBar global={global} pageKeys={pageKeys} fields={fields} label="Visualization query" onRefresh={() => setTick((t) => t + 1)} />
      <div class="vis-editor">
        <section class="vis-preview panel" aria-label="Preview" aria-busy={data.loading}>
          {!spec && <p role="status">Loading…</p>}
          {spec && problems.length > 0 && (
            <div class="callout" role="status">
              <p class="callout-title">The visualization is not complete</p>
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
          {spec && problems.length === 0 && data.error && <ErrorCallout error={data.error} query={global.query} />}
          {spec && problems.length === 0 && !data.error && data.table && data.spec && (
            <>
              <div class="subdued vis-meta" role="status" data-loading={data.loading ? 'true' : 'false'} aria-label="Result">
                {data.loading ? 'Updating…' : `${formatNumber(data.table.meta?.total ?? 0)} documents`}
              </div>
              <VisChart type={data.spec.type} params={data.spec.params} table={data.table} title={title} onFilters={addFilter} onTimeRange={zoom} />
            </>
          )}
        </section>
        {spec && dv && (
          <form class="vis-sidebar" aria-label="Visualization editor" onSubmit={(e) => e.preventDefault()}>
            <label class="form-row">
              <span>Data view</span>
              <select
                value={spec.dataView}
                onChange={(e) => {
                  const p = new URLSearchParams(window.location.search);
                  p.set('dv', e.currentTarget.value);
                  p.delete('vis');
                  navigate(`${window.location.pathname}?${p.toString()}`, true);
                  setSpec(null);
                }}
              >
                {(views ?? []).map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.title}
                  </option>
                ))}
              </select>
            </label>
            <label class="form-row">
              <span>Chart type</span>
              <select value={spec.type} onChange={(e) => edit((s) => setChartType(s, e.currentTarget.value as ChartType))}>
                {CHART_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {CHART_LABELS[t]}
                  </option>
                ))}
              </select>
            </label>
            <h2>Metrics</h2>
            {spec.metrics.map((m, i) => (
              <MetricEditor
                key={m.id}
                spec={spec}
                metric={m}
                index={i}
                fields={fields}
                timeField={dv.timeField}
                onChange={(patch) => edit((s) => updateMetric(s, m.id, patch, dv))}
                onRemove={spec.metrics.length > 1 ? () => edit((s) => removeMetric(s, m.id)) : null}
              />
            ))}
            {canAddMetric(spec) && (
              <button type="button" class="button" onClick={() => edit((s) => addMetric(s, 'count', dv))}>
                Add metric
              </button>
            )}
            {bucketRoles(spec.type).length > 0 && <h2>Buckets</h2>}
            {spec.type === 'heatmap' && <p class="subdued">Hour of day × day of week of {dv.timeField ?? 'the time field'}, in your time zone.</p>}
            {spec.buckets.map((b, i) => (
              <BucketEditor
                key={b.id}
                spec={spec}
                bucket={b}
                index={i}
                fields={fields}
                onChange={(patch) => edit((s) => updateBucket(s, b.id, patch, dv))}
                onRemove={() => edit((s) => removeBucket(s, b.id))}
                onMove={spec.type === 'table' && spec.buckets.length > 1 ? (d) => edit((s) => moveBucket(s, b.id, d)) : null}
              />
            ))}
            <AddBucket spec={spec} onAdd={(role) => edit((s) => addBucket(s, 'terms', role, dv))} />
            <OptionsEditor spec={spec} onChange={(patch) => edit((s) => setParams(s, patch))} />
          </form>
        )}
      </div>
      {dialog && (
        <SaveVisDialog
          initialTitle={saved?.attributes.title ?? ''}
          initialDescription={saved?.attributes.description ?? ''}
          canOverwrite={saved !== null}
          onSave={save}
          onClose={() => setDialog(false)}
        />
      )}
    </div>
  );
}

function AddBucket({ spec, onAdd }: { spec: VisSpec; onAdd: (role: BucketRole) => void }) {
  const roles = bucketRoles(spec.type).filter((r) => canAddBucket(spec, r));
  return (
    <div class="add-bucket">
      {roles.map((r) => (
        <button type="button" class="button" key={r} onClick={() => onAdd(r)}>
          Add {roleLabel(spec.type, r).toLowerCase()}
        </button>
      ))}
    </div>
  );
}

interface SaveVisDialogProps {
  initialTitle: string;
  initialDescription: string;
  canOverwrite: boolean;
  onSave: (title: string, description: string, asNew: boolean) => Promise<void>;
  onClose: () => void;
}

function SaveVisDialog({ initialTitle, initialDescription, canOverwrite, onSave, onClose }: SaveVisDialogProps) {
  const [title, setTitle] = useState(initialTitle);
  const [description, setDescription] = useState(initialDescription);
  const [asNew, setAsNew] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (title.trim() === '') {
      setError('A title is required');
      return;
    }
    setBusy(true);
    try {
      await onSave(title.trim(), description.trim(), asNew);
      onClose();
    } catch (err) {
      setError(asApiError(err).reason);
      setBusy(false);
    }
  };
  return (
    <Modal title="Save visualization" onClose={onClose}>
      <form onSubmit={submit} class="form">
        <label class="form-row">
          <span>Title</span>
          <input type="text" value={title} required autoFocus aria-invalid={error !== null} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label class="form-row">
          <span>Description</span>
          <input type="text" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        {canOverwrite && (
          <label class="checkbox">
            <input type="checkbox" checked={asNew} onChange={(e) => setAsNew(e.currentTarget.checked)} />
            Save as new visualization
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
          <button type="submit" class="button button-primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
