import { memo } from '../../lib/memo';
import { useMemo, useState } from 'preact/hooks';
import type { Field, Hit } from '../../api';
import { FieldTypeIcon } from '../../components/FieldTypeIcon';
import { groupFields } from '../../lib/fields';
import { formatValue } from '../../lib/format';
import { flattenSource, formatPercent, type Primitive, topValues } from '../../lib/topValues';

export interface FieldListProps {
  fields: Field[];
  hits: Hit[];
  columns: string[];
  onToggleColumn: (field: string) => void;
  onFilter: (field: string, value: Primitive, negate: boolean) => void;
}

/** The sidebar: the data view's fields with type badges, top 5 values and column toggles. */
export function FieldList({ fields, hits, columns, onToggleColumn, onFilter }: FieldListProps) {
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState(false);
  const present = useMemo(() => {
    const names = new Set<string>();
    for (const hit of hits) for (const name of flattenSource(hit._source).keys()) names.add(name);
    return names;
  }, [hits]);
  const groups = useMemo(() => groupFields(fields, present, columns, filter), [fields, present, columns, filter]);
  const sources = useMemo(() => hits.map((h) => h._source), [hits]);
  const item = (f: Field, selected: boolean) => (
    <FieldItem key={f.name} field={f} selected={selected} sources={sources} onToggleColumn={onToggleColumn} onFilter={onFilter} />
  );

  return (
    <section aria-label="Fields" class={`field-list${open ? ' open' : ''}`}>
      <button type="button" class="button field-list-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide fields' : 'Show fields'}
      </button>
      <div class="field-list-body">
        <input
          type="search"
          class="field-search"
          aria-label="Filter fields by name"
          placeholder="Filter fields by name"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        {groups.selected.length > 0 && (
          <>
            <h2 class="field-group-title" id="fields-selected">
              Selected fields <span class="count">{groups.selected.length}</span>
            </h2>
            <ul aria-labelledby="fields-selected">{groups.selected.map((f) => item(f, true))}</ul>
          </>
        )}
        <h2 class="field-group-title" id="fields-available">
          Available fields <span class="count">{groups.available.length}</span>
        </h2>
        <ul aria-labelledby="fields-available">{groups.available.map((f) => item(f, false))}</ul>
        {groups.empty.length > 0 && (
          <details class="empty-fields">
            <summary>
              Empty fields <span class="count">{groups.empty.length}</span>
            </summary>
            <ul aria-label="Empty fields">{groups.empty.map((f) => item(f, false))}</ul>
          </details>
        )}
      </div>
    </section>
  );
}

interface FieldItemProps {
  field: Field;
  selected: boolean;
  sources: unknown[];
  onToggleColumn: (field: string) => void;
  onFilter: (field: string, value: Primitive, negate: boolean) => void;
}

const FieldItem = memo(function FieldItem({ field, selected, sources, onToggleColumn, onFilter }: FieldItemProps) {
  const [expanded, setExpanded] = useState(false);
  const detailsId = `field-details-${field.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <li class="field-item">
      <div class="field-row">
        <FieldTypeIcon type={field.type} />
        <button type="button" class="field-name" aria-expanded={expanded} aria-controls={detailsId} onClick={() => setExpanded(!expanded)}>
          {field.name}
        </button>
        <button type="button" class="icon-button field-column-toggle" aria-label={`${selected ? 'Remove column' : 'Add column'}: ${field.name}`} title={selected ? 'Remove column' : 'Add column'} onClick={() => onToggleColumn(field.name)}>
          {selected ? '−' : '+'}
        </button>
      </div>
      {expanded && <FieldDetails id={detailsId} field={field} sources={sources} onFilter={onFilter} />}
    </li>
  );
});

function FieldDetails({ id, field, sources, onFilter }: { id: string; field: Field; sources: unknown[]; onFilter: FieldItemProps['onFilter'] }) {
  const top = useMemo(() => topValues(sources, field.name, 5), [sources, field.name]);
  const filterable = field.type !== 'unknown' || top.values.length > 0;
  return (
    <div id={id} class="field-details">
      <h3>Top 5 values</h3>
      {top.values.length === 0 ? (
        <p class="subdued">No values in the loaded sample of {top.sampled} documents.</p>
      ) : (
        <ul aria-label={`Top values of ${field.name}`} class="top-values">
          {top.values.map((v) => {
            const text = formatValue(v.value);
            return (
              <li key={text} class="top-value">
                <div class="top-value-label">
                  <span class="top-value-text">{text}</span>
                  <span class="top-value-percent">{formatPercent(v.percent)}</span>
                </div>
                <div class="top-value-bar" aria-hidden="true">
                  <span style={{ width: `${Math.min(100, v.percent)}%` }} />
                </div>
                {filterable && (
                  <span class="top-value-actions">
                    <button type="button" class="icon-button" aria-label={`Filter for ${field.name}: ${text}`} title="Filter for value" onClick={() => onFilter(field.name, v.value, false)}>
                      +
                    </button>
                    <button type="button" class="icon-button" aria-label={`Filter out ${field.name}: ${text}`} title="Filter out value" onClick={() => onFilter(field.name, v.value, true)}>
                      −
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p class="subdued">
        Exists in {top.exists} of {top.sampled} sample documents.
      </p>
    </div>
  );
}
