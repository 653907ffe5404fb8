// The development mock's visualizations (dev/mock-server.mjs): a small in-memory tabify of the API's
// Spec over canned events (crates/ui/API.md "Visualizations"). Not the real aggregation code (crate
// `vis`), not used by any test: it exists to work on the front end without the Rust server.

const HOUR = 3_600_000;
const round = (v) => Math.round(v * 1e6) / 1e6;

function metricValues(m, docs, field) {
  if (m.type === 'count') return [docs.length];
  const vals = docs.map((e) => field(e, m.field)).filter((v) => v !== undefined && v !== null);
  const sorted = vals.slice().sort((a, b) => a - b);
  const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] : null);
  switch (m.type) {
    case 'count':
      return [docs.length];
    case 'avg':
      return [vals.length ? round(vals.reduce((a, b) => a + b, 0) / vals.length) : null];
    case 'sum':
      return [round(vals.reduce((a, b) => a + b, 0))];
    case 'min':
      return [vals.length ? Math.min(...vals) : null];
    case 'max':
      return [vals.length ? Math.max(...vals) : null];
    case 'cardinality':
      return [new Set(vals.map(String)).size];
    case 'median':
      return [q(0.5)];
    case 'percentiles':
      return (m.percents ?? [1, 5, 25, 50, 75, 95, 99]).map((p) => q(p / 100));
    case 'top_hit':
      return [docs.length ? field(docs.slice().sort((a, b) => b.ts - a.ts)[0], m.field) : null];
    default:
      return [null];
  }
}

function metricColumns(spec) {
  const cols = [];
  for (const m of spec.metrics) {
    const name = { count: 'Count', avg: `Average ${m.field}`, sum: `Sum of ${m.field}`, min: `Min ${m.field}`, max: `Max ${m.field}`, cardinality: `Unique count of ${m.field}`, median: `Median ${m.field}`, top_hit: `Last ${m.field}` }[m.type];
    if (m.type === 'percentiles') for (const p of m.percents ?? [1, 5, 25, 50, 75, 95, 99]) cols.push({ id: `${m.id}.${p}`, name: `${p}th percentile of ${m.field}`, kind: 'metric', metricType: m.type, field: m.field, format: 'number' });
    else cols.push({ id: m.id, name, kind: 'metric', metricType: m.type, field: m.field ?? null, format: m.type === 'top_hit' ? 'any' : 'number' });
  }
  return cols;
}

/** Groups docs by one bucket: [{key, filter, docs}] in the bucket's order. */
function groups(b, docs, ctx) {
  const { field, match, timeRange } = ctx;
  switch (b.type) {
    case 'terms': {
      const by = new Map();
      const missing = [];
      for (const e of docs) {
        const v = field(e, b.field);
        if (v === undefined || v === null) missing.push(e);
        else by.set(v, [...(by.get(v) ?? []), e]);
      }
      const dir = b.order?.dir === 'asc' ? 1 : -1;
      let out = [...by].map(([key, d]) => ({ key, docs: d, filter: { field: b.field, value: key, negate: false, disabled: false } }));
      out.sort((x, y) => (b.order?.by === '_key' ? dir * String(x.key).localeCompare(String(y.key)) : dir * (x.docs.length - y.docs.length)));
      const rest = out.slice(b.size ?? 5);
      out = out.slice(0, b.size ?? 5);
      if (b.otherBucket && rest.length) out.push({ key: '__other__', docs: rest.flatMap((r) => r.docs), filter: { field: b.field, values: out.map((o) => o.key), negate: true, disabled: false } });
      if (b.missingBucket && missing.length) out.push({ key: '__missing__', docs: missing, filter: { field: b.field, exists: true, negate: true, disabled: false } });
      return out;
    }
    case 'date_histogram': {
      const span = timeRange ? timeRange.to - timeRange.from : 24 * HOUR;
      const fixed = /^(\d+)(m|h|d)$/.exec(b.interval ?? '');
      const ms = fixed ? Number(fixed[1]) * { m: 60_000, h: HOUR, d: 24 * HOUR }[fixed[2]] : [60_000, 300_000, 600_000, 1_800_000, HOUR, 3 * HOUR, 12 * HOUR, 24 * HOUR].find((x) => span / x <= 60) ?? 7 * 24 * HOUR;
      const by = new Map();
      for (const e of docs) {
        const k = Math.floor(e.ts / ms) * ms;
        by.set(k, [...(by.get(k) ?? []), e]);
      }
      ctx.interval = fixed ? b.interval : `${ms / 60_000}m`;
      return [...by].sort((x, y) => x[0] - y[0]).map(([key, d]) => ({ key, docs: d, filter: { field: b.field, range: { gte: key, lt: key + ms }, negate: false, disabled: false } }));
    }
    case 'histogram': {
      const w = b.histogramInterval;
      const by = new Map();
      for (const e of docs) {
        const v = field(e, b.field);
        if (typeof v !== 'number') continue;
        const k = round(Math.floor(v / w) * w);
        by.set(k, [...(by.get(k) ?? []), e]);
      }
      return [...by].sort((x, y) => x[0] - y[0]).map(([key, d]) => ({ key, docs: d, filter: { field: b.field, range: { gte: key, lt: key + w }, negate: false, disabled: false } }));
    }
    case 'range':
      return (b.ranges ?? []).map((r) => ({
        key: r.label ?? `${r.from ?? '-∞'} to ${r.to ?? '+∞'}`,
        docs: docs.filter((e) => {
          const v = field(e, b.field);
          return typeof v === 'number' && (r.from == null || v >= r.from) && (r.to == null || v < r.to);
        }),
        filter: { field: b.field, range: { ...(r.from != null ? { gte: r.from } : {}), ...(r.to != null ? { lt: r.to } : {}) }, negate: false, disabled: false },
      })).filter((g) => g.docs.length > 0);
    case 'filters':
      return (b.filters ?? []).map((f) => ({
        key: f.label || f.query || '*',
        docs: docs.filter(match(f.query ?? '', f.language ?? 'kuery')),
        filter: { query: { language: f.language ?? 'kuery', query: f.query ?? '' }, negate: false, disabled: false },
      })).filter((g) => g.docs.length > 0);
    default:
      return [];
  }
}

/** The Table of a spec over `docs` (already filtered by time, query and filters). */
export function tabify(spec, docs, { field, match, timeRange }) {
  const ctx = { field, match, timeRange, interval: null };
  if (spec.type === 'heatmap') {
    const cells = new Map();
    for (const e of docs) {
      const d = new Date(e.ts);
      const k = `${((d.getUTCDay() + 6) % 7) + 1}|${d.getUTCHours()}`;
      cells.set(k, [...(cells.get(k) ?? []), e]);
    }
    return {
      columns: [
        { id: 'day', name: 'Day of week', kind: 'bucket', bucketType: 'date_histogram', field: '@timestamp', format: 'day_of_week' },
        { id: 'hour', name: 'Hour of day', kind: 'bucket', bucketType: 'date_histogram', field: '@timestamp', format: 'hour_of_day' },
        ...metricColumns(spec),
      ],
      rows: [...cells].map(([k, d]) => [...k.split('|').map(Number), ...metricValues(spec.metrics[0], d, field)]),
      rowFilters: [...cells].map(() => [null, null]),
      meta: { total: docs.length, took: 1, interval: null, timeZone: 'UTC', type: spec.type },
    };
  }
  const rows = [];
  const rowFilters = [];
  const walk = (level, d, keys, filters) => {
    if (level === spec.buckets.length) {
      rows.push([...keys, ...spec.metrics.flatMap((m) => metricValues(m, d, field))]);
      rowFilters.push(filters);
      return;
    }
    for (const g of groups(spec.buckets[level], d, ctx)) walk(level + 1, g.docs, [...keys, g.key], [...filters, g.filter]);
  };
  walk(0, docs, [], []);
  const columns = [
    ...spec.buckets.map((b) => ({ id: b.id, name: b.field ?? 'Filters', kind: 'bucket', bucketType: b.type, field: b.field ?? null, format: { date_histogram: 'date', histogram: 'number', range: 'range', filters: 'filters', terms: 'string' }[b.type] })),
    ...metricColumns(spec),
  ];
  return { columns, rows, rowFilters, meta: { total: docs.length, took: 1, interval: ctx.interval, timeZone: 'UTC', type: spec.type } };
}

/** The tutorial's objects (as `sluice ui` makes them on first start). */
export function tutorialObjects() {
  const vis = (id, title, spec) => ({ type: 'visualization', id, attributes: { title, spec: { dataView: 'python-logs', params: {}, ...spec } } });
  return [
    vis('python-logs-actions-per-user', 'Actions per user', { type: 'pie', metrics: [{ id: '1', type: 'count' }], buckets: [{ id: '2', role: 'x', type: 'terms', field: 'user', size: 10 }], params: { donut: true, legendPosition: 'right', valueLabels: true } }),
    vis('python-logs-levels-over-time', 'Log levels over time', { type: 'bar', metrics: [{ id: '1', type: 'count' }], buckets: [{ id: '2', role: 'x', type: 'date_histogram', field: '@timestamp', interval: 'auto' }, { id: '3', role: 'split', type: 'terms', field: 'level.keyword', size: 5 }], params: { stacked: true, legendPosition: 'right' } }),
    vis('python-logs-duration-per-action', 'Average duration per action', { type: 'bar', metrics: [{ id: '1', type: 'avg', field: 'duration' }], buckets: [{ id: '2', role: 'x', type: 'terms', field: 'action', size: 10 }], params: { legendPosition: 'right' } }),
    { type: 'search', id: 'python-logs-latest-errors', attributes: { title: 'Latest errors', dataViewId: 'python-logs', query: { language: 'kuery', query: 'level:ERROR' }, filters: [], columns: ['level', 'user', 'message'], sort: 'desc', time: { from: 'now-24h', to: 'now' } } },
    {
      type: 'dashboard',
      id: 'python-logs',
      attributes: {
        title: 'Python logs',
        panels: [
          { panelId: 'p1', type: 'visualization', ref: 'python-logs-actions-per-user', x: 0, y: 0, w: 24, h: 15 },
          { panelId: 'p2', type: 'visualization', ref: 'python-logs-levels-over-time', x: 24, y: 0, w: 24, h: 15 },
          { panelId: 'p3', type: 'visualization', ref: 'python-logs-duration-per-action', x: 0, y: 15, w: 24, h: 15 },
          { panelId: 'p4', type: 'search', ref: 'python-logs-latest-errors', x: 24, y: 15, w: 24, h: 15 },
        ],
        timeRange: { from: 'now-24h', to: 'now' },
      },
    },
  ];
}
