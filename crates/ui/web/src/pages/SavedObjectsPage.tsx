import { useEffect, useId, useState } from 'preact/hooks';
import { type ApiError, deleteSavedObject, exportSavedObjects, importSavedObjects, listSavedObjects, type SavedObject, type SavedObjectType } from '../api';
import { ErrorCallout } from '../components/ErrorCallout';
import { Modal } from '../components/Modal';

const TYPES: ReadonlyArray<{ type: SavedObjectType; label: string }> = [
  { type: 'index-pattern', label: 'Data view' },
  { type: 'search', label: 'Saved search' },
  { type: 'config', label: 'Advanced settings' },
];

function objectTitle(o: SavedObject): string {
  const a = o.attributes as { title?: unknown };
  return typeof a.title === 'string' && a.title !== '' ? a.title : o.id;
}

/** Management → Saved objects: list, delete, export as NDJSON, import an NDJSON file. */
export function SavedObjectsPage() {
  const id = useId();
  const [objects, setObjects] = useState<SavedObject[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [confirm, setConfirm] = useState<SavedObject | null>(null);

  const load = (): void => {
    Promise.all(TYPES.map((t) => listSavedObjects(t.type)))
      .then((lists) => {
        setObjects(lists.flatMap((l) => l.saved_objects));
        setError(null);
      })
      .catch((e: ApiError) => setError(e));
  };
  useEffect(load, []);

  const doExport = async (): Promise<void> => {
    try {
      const text = await exportSavedObjects();
      const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'export.ndjson';
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      const n = text.split('\n').filter((l) => l.trim() !== '').length;
      setNotice(`Exported ${n} ${n === 1 ? 'object' : 'objects'}`);
    } catch (e) {
      setError(e as ApiError);
    }
  };

  const doImport = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!file) return;
    try {
      const r = await importSavedObjects(await file.text());
      setNotice(`Imported ${r.successCount} ${r.successCount === 1 ? 'object' : 'objects'}${r.errors.length > 0 ? `, ${r.errors.length} failed` : ''}`);
      setError(null);
      load();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  const remove = async (o: SavedObject): Promise<void> => {
    try {
      await deleteSavedObject(o.type, o.id);
      setNotice(`Deleted ${objectTitle(o)}`);
      load();
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <section class="page" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>Saved objects</h1>
      <p class="subdued">Data views, saved searches and settings, kept in the backend's <code>.sluice</code> index.</p>
      <p role="status" class="notice">
        {notice}
      </p>
      {error && <ErrorCallout error={error} />}
      <div class="toolbar">
        <button type="button" class="button" onClick={() => void doExport()}>
          Export all
        </button>
        <form class="inline-form" onSubmit={doImport}>
          <label>
            <span>Saved objects file (NDJSON)</span>
            <input type="file" accept=".ndjson,application/x-ndjson,application/json" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </label>
          <button type="submit" class="button" disabled={!file}>
            Import
          </button>
        </form>
      </div>
      {objects === null && !error && <p>Loading…</p>}
      {objects?.length === 0 && <p>No saved objects yet.</p>}
      {objects && objects.length > 0 && (
        <div class="table-scroll">
          <table aria-label="Saved objects" class="list-table">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Title</th>
                <th scope="col">Last updated</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {objects.map((o) => (
                <tr key={`${o.type}/${o.id}`}>
                  <td>{TYPES.find((t) => t.type === o.type)?.label ?? o.type}</td>
                  <td>{objectTitle(o)}</td>
                  <td>{o.updated_at ?? '-'}</td>
                  <td>
                    <button type="button" class="button button-danger-text" aria-label={`Delete ${objectTitle(o)}`} onClick={() => setConfirm(o)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm && (
        <Modal title={`Delete ${objectTitle(confirm)}?`} onClose={() => setConfirm(null)}>
          <p>This cannot be undone.</p>
          <div class="form-actions">
            <button type="button" class="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="button button-danger"
              onClick={() => {
                const o = confirm;
                setConfirm(null);
                void remove(o);
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
