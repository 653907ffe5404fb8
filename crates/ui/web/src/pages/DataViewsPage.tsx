import { useEffect, useId, useState } from 'preact/hooks';
import { type ApiError, createDataView, type DataView, deleteDataView, type Field, fields as fetchFields, listDataViews, setDefaultDataView } from '../api';
import { ErrorCallout } from '../components/ErrorCallout';
import { Modal } from '../components/Modal';
import { onLinkClick } from '../router';

/** Management → Data views: list, create (pattern + time field), delete, set the default. */
export function DataViewsPage() {
  const [views, setViews] = useState<{ list: DataView[]; def: string | null } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<DataView | null>(null);

  const load = (): void => {
    listDataViews()
      .then((r) => {
        setViews({ list: r.data_views, def: r.default });
        setError(null);
      })
      .catch((e: ApiError) => setError(e));
  };
  useEffect(load, []);

  const act = async (what: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await what();
      setNotice(done);
      setError(null);
      load();
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <section class="page" aria-labelledby="dv-title">
      <h1 id="dv-title">Data views</h1>
      <p class="subdued">A data view names the indices Discover searches (a pattern such as <code>python-logs-*</code>) and their time field.</p>
      <p role="status" class="notice">
        {notice}
      </p>
      {error && <ErrorCallout error={error} />}
      <CreateDataView
        existing={views?.list ?? []}
        onCreated={(dv, warning) => {
          setNotice(warning ? `Created ${dv.title} (warning: ${warning})` : `Created ${dv.title}`);
          load();
        }}
      />
      <h2>Existing data views</h2>
      {views === null && !error && <p>Loading…</p>}
      {views?.list.length === 0 && <p>No data views yet.</p>}
      {views && views.list.length > 0 && (
        <div class="table-scroll">
          <table aria-label="Data views" class="list-table">
            <thead>
              <tr>
                <th scope="col">Pattern</th>
                <th scope="col">Time field</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {views.list.map((dv) => (
                <tr key={dv.id}>
                  <td>
                    <a href={`/app/discover?dv=${encodeURIComponent(dv.id)}`} onClick={onLinkClick}>
                      {dv.title}
                    </a>{' '}
                    {views.def === dv.id && <span class="badge">Default</span>}
                  </td>
                  <td>{dv.timeField ?? <span class="subdued">none</span>}</td>
                  <td>
                    <div class="actions">
                    {views.def !== dv.id && (
                      <button type="button" class="button" aria-label={`Set ${dv.title} as default`} onClick={() => void act(() => setDefaultDataView(dv.id), `${dv.title} is the default data view`)}>
                        Set as default
                      </button>
                    )}
                    <button type="button" class="button button-danger-text" aria-label={`Delete ${dv.title}`} onClick={() => setConfirm(dv)}>
                      Delete
                    </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm && (
        <Modal title={`Delete data view ${confirm.title}?`} onClose={() => setConfirm(null)}>
          <p>Saved searches that use it will need another data view.</p>
          <div class="form-actions">
            <button type="button" class="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="button button-danger"
              onClick={() => {
                const dv = confirm;
                setConfirm(null);
                void act(() => deleteDataView(dv.id), `Deleted ${dv.title}`);
              }}
            >
              Delete
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}

const NO_TIME_FIELD = '';

function CreateDataView({ existing, onCreated }: { existing: DataView[]; onCreated: (dv: DataView, warning: string | null) => void }) {
  const id = useId();
  const [pattern, setPattern] = useState('');
  const [match, setMatch] = useState<{ pattern: string; fields: Field[]; indices: string[] } | null>(null);
  const [timeField, setTimeField] = useState<string>(NO_TIME_FIELD);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  // Look up the pattern's indices and date fields as it is typed (debounced).
  useEffect(() => {
    const p = pattern.trim();
    if (p === '') {
      setMatch(null);
      return undefined;
    }
    const ctrl = new AbortController();
    const timer = window.setTimeout(() => {
      fetchFields(p, ctrl.signal)
        .then((r) => {
          setMatch({ pattern: p, fields: r.fields, indices: r.indices });
          setError(null);
        })
        .catch((e: unknown) => {
          if (!(e instanceof DOMException)) setError(e as ApiError);
        });
    }, 250);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [pattern]);

  const current = match && match.pattern === pattern.trim() ? match : null;
  const dateFields = (current?.fields ?? []).filter((f) => f.type === 'date').map((f) => f.name);
  // Preselect @timestamp (or the first date field) as Kibana does.
  useEffect(() => {
    if (!current) return;
    if (timeField !== NO_TIME_FIELD && dateFields.includes(timeField)) return;
    setTimeField(dateFields.includes('@timestamp') ? '@timestamp' : (dateFields[0] ?? NO_TIME_FIELD));
  }, [current?.pattern, dateFields.join(',')]);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const p = pattern.trim();
    if (p === '') return;
    setBusy(true);
    try {
      const r = await createDataView(p, timeField === NO_TIME_FIELD ? null : timeField);
      setPattern('');
      setMatch(null);
      setTimeField(NO_TIME_FIELD);
      setError(null);
      onCreated(r.data_view, r.warning);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form create-data-view" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h2 id={`${id}-title`}>Create data view</h2>
      <label class="form-row">
        <span>Index pattern</span>
        <input
          type="text"
          value={pattern}
          placeholder="python-logs-*"
          required
          spellcheck={false}
          aria-describedby={`${id}-match`}
          onInput={(e) => setPattern(e.currentTarget.value)}
        />
      </label>
      <p id={`${id}-match`} class={current && current.indices.length === 0 ? 'warning-text' : 'subdued'} aria-live="polite">
        {current === null
          ? 'Use * as a wildcard: python-logs-* matches every daily index.'
          : current.indices.length === 0
            ? `No index matches ${current.pattern} yet. You can still create the data view; it finds indices once they exist.`
            : `Your index pattern matches ${current.indices.length} ${current.indices.length === 1 ? 'index' : 'indices'}: ${current.indices.slice(0, 5).join(', ')}${current.indices.length > 5 ? ', …' : ''}`}
      </p>
      {existing.some((dv) => dv.title === pattern.trim()) && (
        <p class="warning-text">A data view for {pattern.trim()} already exists; creating another one is allowed.</p>
      )}
      <label class="form-row">
        <span>Timestamp field</span>
        <select value={timeField} onChange={(e) => setTimeField(e.currentTarget.value)}>
          {dateFields.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
          <option value={NO_TIME_FIELD}>I don't want to use the time filter</option>
        </select>
      </label>
      {error && <ErrorCallout error={error} pattern={pattern} />}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy || pattern.trim() === ''}>
          Create data view
        </button>
      </div>
    </form>
  );
}
