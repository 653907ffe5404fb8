import { useEffect, useState } from 'preact/hooks';
import { type ApiError, deleteSavedObject, listSavedObjects, type SavedObject, type SavedSearchAttributes } from '../../api';
import { Modal } from '../../components/Modal';

export interface SaveDialogProps {
  initialTitle: string;
  /** Saving over an opened saved search is possible. */
  canOverwrite: boolean;
  onSave: (title: string, asNew: boolean) => Promise<void>;
  onClose: () => void;
}

/** "Save search": a title, and whether to save as a new search when one is open. */
export function SaveDialog({ initialTitle, canOverwrite, onSave, onClose }: SaveDialogProps) {
  const [title, setTitle] = useState(initialTitle);
  const [asNew, setAsNew] = useState(!canOverwrite);
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
      await onSave(title.trim(), asNew);
      onClose();
    } catch (err) {
      setError((err as ApiError).reason ?? String(err));
      setBusy(false);
    }
  };
  return (
    <Modal title="Save search" onClose={onClose}>
      <form onSubmit={submit} class="form">
        <label class="form-row">
          <span>Title</span>
          <input type="text" value={title} required autoFocus aria-invalid={error !== null} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        {canOverwrite && (
          <label class="checkbox">
            <input type="checkbox" checked={asNew} onChange={(e) => setAsNew(e.currentTarget.checked)} />
            Save as new search
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

export interface OpenDialogProps {
  onOpen: (search: SavedObject<SavedSearchAttributes>) => void;
  onClose: () => void;
}

/** "Open search": the saved searches, each to open or delete. */
export function OpenDialog({ onOpen, onClose }: OpenDialogProps) {
  const [items, setItems] = useState<SavedObject<SavedSearchAttributes>[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = (): void => {
    listSavedObjects<SavedSearchAttributes>('search')
      .then((r) => setItems(r.saved_objects.slice().sort((a, b) => (a.attributes.title ?? '').localeCompare(b.attributes.title ?? ''))))
      .catch((e: ApiError) => setError(e.reason));
  };
  useEffect(load, []);
  const remove = async (item: SavedObject<SavedSearchAttributes>): Promise<void> => {
    try {
      await deleteSavedObject('search', item.id);
      load();
    } catch (e) {
      setError((e as ApiError).reason);
    }
  };
  return (
    <Modal title="Open search" onClose={onClose}>
      {error && (
        <p role="alert" class="field-error">
          {error}
        </p>
      )}
      {items === null && !error && <p>Loading…</p>}
      {items?.length === 0 && <p>No saved searches yet. Use Save to keep the current search.</p>}
      {items && items.length > 0 && (
        <ul class="saved-list" aria-label="Saved searches">
          {items.map((item) => (
            <li key={item.id}>
              <button type="button" class="link-button" aria-label={`Open ${item.attributes.title || item.id}`} onClick={() => onOpen(item)}>
                {item.attributes.title || item.id}
              </button>
              <button type="button" class="button button-danger-text" aria-label={`Delete ${item.attributes.title || item.id}`} onClick={() => void remove(item)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
