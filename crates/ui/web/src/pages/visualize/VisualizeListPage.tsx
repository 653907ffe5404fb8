import { useEffect, useState } from 'preact/hooks';
import { type ApiError, deleteSavedObject, listSavedObjects, type SavedObject, updateSavedObject, type VisAttributes } from '../../api';
import { ErrorCallout } from '../../components/ErrorCallout';
import { ConfirmDelete, RenameDialog } from '../../components/ListDialogs';
import { Modal } from '../../components/Modal';
import { CHART_LABELS, CHART_TYPES, type ChartType } from '../../lib/vis/spec';
import { onLinkClick } from '../../router';
import { asApiError } from '../discover/useSearch';

/** The saved visualizations: open, rename, delete; and "Create visualization" (pick a type). */
export function VisualizeListPage() {
  const [items, setItems] = useState<SavedObject<VisAttributes>[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'rename' | 'delete'; item: SavedObject<VisAttributes> } | null>(null);
  const load = (): void => {
    listSavedObjects<VisAttributes>('visualization')
      .then((r) => {
        setItems(r.saved_objects.slice().sort((a, b) => (a.attributes.title ?? '').localeCompare(b.attributes.title ?? '')));
        setError(null);
      })
      .catch((e: unknown) => setError(asApiError(e)));
  };
  useEffect(load, []);

  const rename = async (item: SavedObject<VisAttributes>, title: string): Promise<void> => {
    await updateSavedObject('visualization', item.id, { ...item.attributes, title });
    setNotice(`Renamed to "${title}"`);
    load();
  };
  const remove = async (item: SavedObject<VisAttributes>): Promise<void> => {
    await deleteSavedObject('visualization', item.id);
    setNotice(`Deleted "${item.attributes.title}"`);
    load();
  };

  return (
    <section class="page" aria-labelledby="visualize-title">
      <div class="page-header">
        <h1 id="visualize-title">Visualize</h1>
        <div class="page-actions">
          <button type="button" class="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
            Create visualization
          </button>
        </div>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
      </div>
      {error && <ErrorCallout error={error} />}
      {items === null && !error && <p role="status">Loading…</p>}
      {items?.length === 0 && <p>No visualizations yet. Create one to chart your data.</p>}
      {items && items.length > 0 && (
        <div class="table-scroll">
          <table aria-label="Visualizations" class="list-table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Type</th>
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
                      <a href={`/app/visualize/edit/${encodeURIComponent(item.id)}`} onClick={onLinkClick}>
                        {t}
                      </a>
                    </td>
                    <td>{CHART_LABELS[item.attributes.spec?.type as ChartType] ?? item.attributes.spec?.type ?? '?'}</td>
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
      {dialog?.kind === 'create' && (
        <Modal title="New visualization" onClose={() => setDialog(null)}>
          <ul class="type-picker" aria-label="Chart types">
            {CHART_TYPES.map((t) => (
              <li key={t}>
                <a class="button" href={`/app/visualize/create?type=${t}`} onClick={(e) => (setDialog(null), onLinkClick(e))}>
                  {CHART_LABELS[t]}
                </a>
              </li>
            ))}
          </ul>
          <div class="form-actions">
            <button type="button" class="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
          </div>
        </Modal>
      )}
      {dialog?.kind === 'rename' && <RenameDialog what="visualization" initial={dialog.item.attributes.title} onRename={(t) => rename(dialog.item, t)} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDelete what={dialog.item.attributes.title || dialog.item.id} onConfirm={() => remove(dialog.item)} onClose={() => setDialog(null)} />
      )}
    </section>
  );
}
