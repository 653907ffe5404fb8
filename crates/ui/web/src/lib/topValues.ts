// Field values of documents as Discover's field list and document viewer see them: `_source`
// flattened to dotted paths (`extra.duration`), arrays spread into their elements.

export type Primitive = string | number | boolean | null;

/** Flattens a `_source` into `path → values` (objects recursed, arrays spread, order kept). */
export function flattenSource(source: unknown): Map<string, Primitive[]> {
  const out = new Map<string, Primitive[]>();
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, path);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        visit(child, path === '' ? key : `${path}.${key}`);
      }
      return;
    }
    if (path === '') return;
    const prim: Primitive =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
    let list = out.get(path);
    if (!list) {
      list = [];
      out.set(path, list);
    }
    list.push(prim);
  };
  visit(source, '');
  return out;
}

/** The values of one dotted field in a `_source` (dots may also be literal in key names). */
export function fieldValues(source: unknown, field: string): Primitive[] {
  return flattenSource(source).get(field) ?? [];
}

export interface TopValue {
  value: Primitive;
  count: number;
  /** Share of the sample's documents that have this value, 0..100. */
  percent: number;
}

export interface TopValues {
  values: TopValue[];
  /** Documents of the sample in which the field has at least one value. */
  exists: number;
  /** Documents in the sample. */
  sampled: number;
}

/**
 * The `limit` most common values of `field` in a sample of `_source` documents, as Kibana's field
 * popover shows them: each document counts once per distinct value; shares are of all sampled
 * documents; ties keep first-seen order.
 */
export function topValues(sources: readonly unknown[], field: string, limit = 5): TopValues {
  const counts = new Map<string, { value: Primitive; count: number }>();
  let exists = 0;
  for (const source of sources) {
    const values = fieldValues(source, field);
    if (values.length === 0) continue;
    exists += 1;
    const seen = new Set<string>();
    for (const value of values) {
      const key = JSON.stringify(value);
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { value, count: 1 });
    }
  }
  const sampled = sources.length;
  const values = [...counts.values()]
    .map((e, order) => ({ ...e, order }))
    .sort((a, b) => b.count - a.count || a.order - b.order)
    .slice(0, limit)
    .map(({ value, count }) => ({ value, count, percent: sampled === 0 ? 0 : (count * 100) / sampled }));
  return { values, exists, sampled };
}

/** "12.5%", "100%", "0.3%", "<0.1%": one decimal at most, as in Kibana's popover. */
export function formatPercent(percent: number): string {
  if (percent > 0 && percent < 0.1) return '<0.1%';
  const rounded = Math.round(percent * 10) / 10;
  return `${rounded}%`;
}
