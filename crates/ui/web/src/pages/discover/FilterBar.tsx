import { type Filter, filterLabel } from '../../lib/state';

export interface FilterBarProps {
  filters: Filter[];
  onChange: (filters: Filter[]) => void;
}

/** The filter pills: each can be disabled/enabled, inverted (include/exclude) or removed. */
export function FilterBar({ filters, onChange }: FilterBarProps) {
  if (filters.length === 0) return null;
  const replace = (i: number, f: Filter | null): void => {
    const next = filters.slice();
    if (f) next[i] = f;
    else next.splice(i, 1);
    onChange(next);
  };
  return (
    <div class="filter-bar">
      <ul aria-label="Filters" class="filter-pills">
        {filters.map((f, i) => {
          const label = filterLabel({ ...f, negate: false });
          const text = filterLabel(f);
          return (
            <li
              key={`${f.field}:${String(f.value)}:${i}`}
              class={`filter-pill${f.negate ? ' filter-negated' : ''}${f.disabled ? ' filter-disabled' : ''}`}
            >
              <span class="filter-text">
                {text}
                {f.disabled && <span class="visually-hidden"> (disabled)</span>}
              </span>
              <button
                type="button"
                class="icon-button"
                aria-label={`${f.disabled ? 'Enable' : 'Disable'} filter ${label}`}
                aria-pressed={f.disabled}
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
              <button
                type="button"
                class="icon-button"
                aria-label={`Remove filter ${label}`}
                title="Delete"
                onClick={() => replace(i, null)}
              >
                ×
              </button>
            </li>
          );
        })}
      </ul>
      {filters.length > 1 && (
        <button type="button" class="link-button" onClick={() => onChange([])}>
          Remove all filters
        </button>
      )}
    </div>
  );
}
