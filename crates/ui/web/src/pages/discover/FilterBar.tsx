import { useState } from 'preact/hooks';
import type { Field } from '../../api';
import { type Filter, filterLabel, filterValue } from '../../lib/state';

export interface FilterBarProps {
  filters: Filter[];
  fields: Field[];
  onChange: (filters: Filter[]) => void;
}

/** The filter pills (each can be disabled/enabled, inverted or removed) and "Add filter". */
export function FilterBar({ filters, fields, onChange }: FilterBarProps) {
  const [adding, setAdding] = useState(false);
  const replace = (i: number, f: Filter | null): void => {
    const next = filters.slice();
    if (f) next[i] = f;
    else next.splice(i, 1);
    onChange(next);
  };
  return (
    <div class="filter-bar">
      {filters.length > 0 && (
        <ul aria-label="Filters" class="filter-pills">
          {filters.map((f, i) => {
            const label = filterLabel({ ...f, negate: false });
            return (
              <li
                key={`${filterLabel(f)}:${i}`}
                class={`filter-pill${f.negate ? ' filter-negated' : ''}${f.disabled ? ' filter-disabled' : ''}`}
              >
                <span class="filter-text">
                  {filterLabel(f)}
                  {f.disabled && <span class="visually-hidden"> (disabled)</span>}
                </span>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`${f.disabled ? 'Enable' : 'Disable'} filter ${label}`}
                  title={f.disabled ? 'Re-enable' : 'Temporarily disable'}
                  onClick={() => replace(i, { ...f, disabled: !f.disabled })}
                >
                  {f.disabled ? '◯' : '◉'}
                </button>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`${f.negate ? 'Include results' : 'Exclude results'} for ${label}`}
                  title={f.negate ? 'Include results' : 'Exclude results'}
                  onClick={() => replace(i, { ...f, negate: !f.negate })}
                >
                  ±
                </button>
                <button type="button" class="icon-button" aria-label={`Remove filter ${label}`} title="Delete" onClick={() => replace(i, null)}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {adding ? (
        <AddFilterForm fields={fields} onAdd={(f) => (onChange([...filters, f]), setAdding(false))} onCancel={() => setAdding(false)} />
      ) : (
        <button type="button" class="link-button" onClick={() => setAdding(true)}>
          + Add filter
        </button>
      )}
      {filters.length > 1 && !adding && (
        <button type="button" class="link-button" onClick={() => onChange([])}>
          Remove all filters
        </button>
      )}
    </div>
  );
}

type Operator = 'is' | 'is not' | 'exists' | 'does not exist';

function AddFilterForm({ fields, onAdd, onCancel }: { fields: Field[]; onAdd: (f: Filter) => void; onCancel: () => void }) {
  const names = fields.filter((f) => f.searchable && f.type !== 'object').map((f) => f.name);
  const [field, setField] = useState(names[0] ?? '');
  const [op, setOp] = useState<Operator>('is');
  const [value, setValue] = useState('');
  const needsValue = op === 'is' || op === 'is not';
  const submit = (e: Event): void => {
    e.preventDefault();
    if (field.trim() === '' || (needsValue && value === '')) return;
    const negate = op === 'is not' || op === 'does not exist';
    onAdd(
      needsValue
        ? { field, value: filterValue(fields.find((f) => f.name === field), value), negate, disabled: false }
        : { field, exists: true, negate, disabled: false },
    );
  };
  return (
    <form class="add-filter" aria-label="Add filter" onSubmit={submit}>
      <label>
        <span>Field</span>
        {names.length > 0 ? (
          <select value={field} onChange={(e) => setField(e.currentTarget.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        ) : (
          <input type="text" value={field} required onInput={(e) => setField(e.currentTarget.value)} />
        )}
      </label>
      <label>
        <span>Operator</span>
        <select value={op} onChange={(e) => setOp(e.currentTarget.value as Operator)}>
          {(['is', 'is not', 'exists', 'does not exist'] as const).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      {needsValue && (
        <label>
          <span>Value</span>
          <input type="text" value={value} required onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
      )}
      <button type="submit" class="button button-primary">
        Add
      </button>
      <button type="button" class="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
