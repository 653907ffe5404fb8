import { useEffect, useState } from 'preact/hooks';
import { type ApiError, type DashboardAttributes, deleteSavedObject, listSavedObjects, type SavedObject, updateSavedObject } from '../api';
import { ErrorCallout } from '../components/ErrorCallout';
import { ConfirmDelete, RenameDialog } from '../components/ListDialogs';
import { onLinkClick } from '../router';
import { asApiError } from './discover/useSearch';

/** The saved dashboards: open, rename, delete, and "Create dashboard". */
export function DashboardsPage() {
  const [items, setItems] = useState<SavedObject<DashboardAttributes>[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ kind: 'rename' | 'delete'; item: SavedObject<DashboardAttributes> } | null>(null);
  const load = (): void => {
    listSavedObjects<DashboardAttributes>('dashboard')
      .then((r) => {
        setItems(r.saved_objects.slice().sort((a, b) => (a.attributes.title ?? '').localeCompare(b.attributes.title ?? '')));
        setError(null);
      })
      .catch((e: unknown) => setError(asApiError(e)));
  };
  useEffect(load, []);
  return (
    <section class="page" aria-labelledby="dashboards-title">
      <div class="page-header">
        <h1 id="dashboards-title">Dashboards</h1>
        <div class="page-actions">
          <a class="button button-primary" href="/app/dashboards/create" onClick={onLinkClick}>
            Create dashboard
          </a>
        </div>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
      </div>
      {error && <ErrorCallout error={error} />}
      {items === null && !error && <p role="status">Loading…</p>}
      {items?.length === 0 && <p>No dashboards yet. Create one and add visualizations and saved searches to it.</p>}
      {items && items.length > 0 && (
        <div class="table-scroll">
          <table aria-label="Dashboards" class="list-table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Panels</th>
                <th scope="col">Description</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => {
                const t = item.attributes.title || item.id;
                return (
                  <tr key={item.id}>
                    <td>
                      <a href={`/app/dashboards/view/${encodeURIComponent(item.id)}`} onClick={onLinkClick}>
                        {t}
                      </a>
                    </td>
                    <td class="num">{Array.isArray(item.attributes.panels) ? item.attributes.panels.length : 0}</td>
                    <td class="subdued">{item.attributes.description ?? ''}</td>
                    <td class="row-actions">
                      <button type="button" class="button" aria-label={`Rename ${t}`} onClick={() => setDialog({ kind: 'rename', item })}>
                        Rename
                      </button>
                      <button type="button" class="button button-danger-text" aria-label={`Delete ${t}`} onClick={() => setDialog({ kind: 'delete', item })}>
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === 'rename' && (
        <RenameDialog
          what="dashboard"
          initial={dialog.item.attributes.title}
          onRename={async (title) => {
            await updateSavedObject('dashboard', dialog.item.id, { ...dialog.item.attributes, title });
            setNotice(`Renamed to "${title}"`);
            load();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDelete
          what={dialog.item.attributes.title || dialog.item.id}
          onConfirm={async () => {
            await deleteSavedObject('dashboard', dialog.item.id);
            setNotice(`Deleted "${dialog.item.attributes.title}"`);
            load();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}
