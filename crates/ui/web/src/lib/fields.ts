// Which fields the field list shows, and in which group.

import type { Field } from '../api';

/** Multi-fields (`level.keyword` under a `level` text field) are shown through their parent. */
export function isMultiField(field: Field, byName: ReadonlyMap<string, Field>): boolean {
  const dot = field.name.lastIndexOf('.');
  if (dot <= 0) return false;
  const parent = byName.get(field.name.slice(0, dot));
  return parent !== undefined && parent.type === 'string' && parent.esTypes.includes('text');
}

export interface FieldGroups {
  selected: Field[];
  available: Field[];
  empty: Field[];
}

/**
 * Splits the data view's fields as Kibana's sidebar does: the selected columns (in column order),
 * the fields with values in the loaded sample, and the rest. Fields seen in the sample but not
 * mapped are listed with type `unknown`; multi-fields are left out; `filter` matches names.
 */
export function groupFields(fields: readonly Field[], present: ReadonlySet<string>, columns: readonly string[], filter: string): FieldGroups {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const all: Field[] = fields.filter((f) => f.type !== 'object' && !isMultiField(f, byName));
  for (const name of present) {
    if (!byName.has(name)) {
      all.push({ name, type: 'unknown', esTypes: [], searchable: false, aggregatable: false });
    }
  }
  const needle = filter.trim().toLowerCase();
  const matches = (f: Field): boolean => needle === '' || f.name.toLowerCase().includes(needle);
  const allByName = new Map(all.map((f) => [f.name, f]));
  const selected = columns
    .map((c) => allByName.get(c) ?? { name: c, type: 'unknown' as const, esTypes: [], searchable: false, aggregatable: false })
    .filter(matches);
  const chosen = new Set(columns);
  const rest = all.filter((f) => !chosen.has(f.name) && matches(f)).sort((a, b) => a.name.localeCompare(b.name));
  return {
    selected,
    available: rest.filter((f) => present.has(f.name)),
    empty: rest.filter((f) => !present.has(f.name)),
  };
}
