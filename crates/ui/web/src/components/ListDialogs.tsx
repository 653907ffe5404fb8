import { useState } from 'preact/hooks';
import { asApiError } from '../pages/discover/useSearch';
import { Modal } from './Modal';

export function RenameDialog({ what, initial, onRename, onClose }: { what: string; initial: string; onRename: (title: string) => Promise<void>; onClose: () => void }) {
  const [title, setTitle] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (title.trim() === '') return setError('A title is required');
    try {
      await onRename(title.trim());
      onClose();
    } catch (err) {
      setError(asApiError(err).reason);
    }
  };
  return (
    <Modal title={`Rename ${what}`} onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <label class="form-row">
          <span>Title</span>
          <input type="text" value={title} required autoFocus onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
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
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ConfirmDelete({ what, onConfirm, onClose }: { what: string; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title={`Delete ${what}?`} onClose={onClose}>
      <p>This cannot be undone.</p>
      {error && (
        <p role="alert" class="field-error">
          {error}
        </p>
      )}
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="button button-danger"
          onClick={() =>
            void onConfirm().then(onClose, (e: unknown) => setError(asApiError(e).reason))
          }
        >
          Delete
        </button>
      </div>
    </Modal>
  );
}
