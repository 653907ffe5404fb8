// Brute-force answers for what a visualization's data table shows, computed over the generated
// events themselves (not asked of any backend): each shown row's bucket cells are read back into a
// predicate on events, and the row's metrics are recomputed over the events it selects.

export const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** `Dec 4, 2026 @ 10:00:00.000` (the UI's format; the browser runs in UTC) → epoch ms. */
export function parseShownTime(text) {
  const m = /^(\w{3}) (\d{1,2}), (\d{4}) @ (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(text.trim());
  if (!m) throw new Error(`not a shown time: ${text}`);
  return Date.UTC(Number(m[3]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
}

/** `1,234.5` → 1234.5; `-` → null. */
export function parseShownNumber(text) {
  const t = text.trim();
  if (t === '-') return null;
  const n = Number(t.replace(/,/g, ''));
  if (!Number.isFinite(n)) throw new Error(`not a shown number: ${text}`);
  return n;
}

/** A field of an event (`user.keyword` reads `user`). */
export function fieldOf(e, field) {
  return e[field.replace(/\.keyword$/, '')];
}

export const timeOf = (e) => Date.parse(e['@timestamp']);

/** The documents a filter of the API selects (phrase, values, exists, range; negate). */
export function filterPredicate(f) {
  let p;
  if (f.range) {
    const r = f.range;
    p = (e) => {
      const v = f.field === '@timestamp' ? timeOf(e) : fieldOf(e, f.field);
      return typeof v === 'number' && (r.gte === undefined || v >= r.gte) && (r.gt === undefined || v > r.gt) && (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte);
    };
  } else if (f.exists) p = (e) => fieldOf(e, f.field) !== undefined && fieldOf(e, f.field) !== null;
  else if (f.values) p = (e) => f.values.includes(fieldOf(e, f.field));
  else if (f.query) p = kql(f.query.query);
  else p = (e) => fieldOf(e, f.field) === f.value;
  return f.negate ? (e) => !p(e) : p;
}

/** The KQL the tests use: `field:value` clauses joined by `and`, or empty. */
export function kql(text) {
  const clauses = text
    .split(/\s+and\s+/i)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const preds = clauses.map((c) => {
    const m = /^([\w.@]+)\s*:\s*"?([^"]*)"?$/.exec(c);
    if (!m) throw new Error(`the brute force reads only field:value KQL, not ${c}`);
    return (e) => String(fieldOf(e, m[1])) === m[2];
  });
  return (e) => preds.every((p) => p(e));
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** A metric over events; `{value, exact}` (median and percentiles are estimates on a backend). */
export function metricValue(metric, events, percent) {
  if (metric.type === 'count') return { value: events.length, exact: true };
  const values = events.map((e) => fieldOf(e, metric.field)).filter((v) => v !== undefined && v !== null);
  switch (metric.type) {
    case 'cardinality':
      return { value: new Set(values.map(String)).size, exact: true };
    case 'sum':
      return { value: values.reduce((a, b) => a + b, 0), exact: true };
    case 'avg':
      return { value: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null, exact: true };
    case 'min':
      return { value: values.length ? Math.min(...values) : null, exact: true };
    case 'max':
      return { value: values.length ? Math.max(...values) : null, exact: true };
    case 'median':
      return { value: quantile(values.slice().sort((a, b) => a - b), 0.5), exact: false };
    case 'percentiles':
      return { value: quantile(values.slice().sort((a, b) => a - b), percent / 100), exact: false };
    default:
      throw new Error(`no brute force for ${metric.type}`);
  }
}

/** Whether a shown metric text matches the brute-force value (estimates within 5% or 0.05). */
export function metricMatches(shown, expected) {
  const n = parseShownNumber(shown);
  if (expected.value === null) return n === null;
  if (n === null) return false;
  // The page shows 3 decimals: a float sum added in another order may round the other way at the
  // last digit, so anything within half a shown unit matches; whole numbers must be equal.
  if (expected.exact) return Number.isInteger(expected.value) ? n === expected.value : Math.abs(n - expected.value) <= 0.0005 + 1e-9;
  return Math.abs(n - expected.value) <= Math.max(0.05, Math.abs(expected.value) * 0.05);
}

/** The predicate a shown bucket cell stands for. `ctx.intervalMs`: the date histogram's width. */
export function bucketPredicate(bucket, text, ctx) {
  const t = text.trim();
  switch (bucket.type) {
    case 'terms': {
      if (t === 'Missing') return (e) => fieldOf(e, bucket.field) === undefined;
      if (t === 'Other') return (e) => !ctx.otherExcluded.includes(String(fieldOf(e, bucket.field)));
      return (e) => String(fieldOf(e, bucket.field)) === t;
    }
    case 'date_histogram': {
      const start = parseShownTime(t);
      return (e) => timeOf(e) >= start && timeOf(e) < start + ctx.intervalMs;
    }
    case 'histogram': {
      const lo = parseShownNumber(t);
      return (e) => fieldOf(e, bucket.field) >= lo && fieldOf(e, bucket.field) < lo + bucket.histogramInterval;
    }
    case 'range': {
      const r = bucket.ranges.find((x) => (x.label ?? `${x.from ?? '-∞'} to ${x.to ?? '+∞'}`) === t);
      if (!r) throw new Error(`no range of ${JSON.stringify(bucket.ranges)} is shown as ${t}`);
      return (e) => {
        const v = fieldOf(e, bucket.field);
        return typeof v === 'number' && (r.from == null || v >= r.from) && (r.to == null || v < r.to);
      };
    }
    case 'filters': {
      const f = bucket.filters.find((x) => (x.label || x.query) === t);
      if (!f) throw new Error(`no filter of ${JSON.stringify(bucket.filters)} is shown as ${t}`);
      return kql(f.query);
    }
    default:
      throw new Error(`no brute force for ${bucket.type}`);
  }
}

/** The heat map's cells: `Monday` and `07:00` (UTC). */
export function heatPredicate(dayText, hourText) {
  const day = WEEKDAYS.indexOf(dayText.trim()) + 1;
  const hour = Number(hourText.trim().slice(0, 2));
  return (e) => {
    const d = new Date(timeOf(e));
    return ((d.getUTCDay() + 6) % 7) + 1 === day && d.getUTCHours() === hour;
  };
}

/** The smallest gap between the shown bucket starts of a date histogram column (its interval when
 * it was `auto`). */
export function shownInterval(texts) {
  const starts = [...new Set(texts.map(parseShownTime))].sort((a, b) => a - b);
  let best = Infinity;
  for (let i = 1; i < starts.length; i += 1) best = Math.min(best, starts[i] - starts[i - 1]);
  return best;
}

/** Milliseconds of a fixed interval (`30m`, `1h`, `1d`). */
export function fixedMs(interval) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(interval);
  if (!m) return null;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }[m[2]];
}

/**
 * Checks a shown data table against the events: `events` are those the global time range, query
 * and filters select; `spec` the visualization. Returns a list of mismatches (empty: all good), and
 * also checks terms rows are the top ones by count.
 */
export function checkTable(spec, shown, events) {
  const problems = [];
  const buckets = spec.buckets;
  const metricCols = [];
  for (const m of spec.metrics) {
    if (m.type === 'percentiles') for (const p of m.percents ?? [1, 5, 25, 50, 75, 95, 99]) metricCols.push({ m, p });
    else metricCols.push({ m });
  }
  const bucketCount = spec.type === 'heatmap' ? 2 : buckets.length;
  if (shown.headers.length !== bucketCount + metricCols.length) {
    return [`${shown.headers.length} columns shown (${shown.headers.join(', ')}), ${bucketCount + metricCols.length} expected`];
  }
  if (shown.rows.length === 0) problems.push('no rows shown');
  const ctx = { intervalMs: null, otherExcluded: [] };
  const dh = buckets.findIndex((b) => b.type === 'date_histogram');
  if (dh >= 0) ctx.intervalMs = fixedMs(buckets[dh].interval) ?? shownInterval(shown.rows.map((r) => r[dh]));
  for (const row of shown.rows) {
    let sel;
    if (spec.type === 'heatmap') {
      const dayFirst = WEEKDAYS.includes(row[0].trim());
      sel = events.filter(heatPredicate(dayFirst ? row[0] : row[1], dayFirst ? row[1] : row[0]));
    } else {
      const preds = buckets.map((b, i) => {
        if (b.type === 'terms' && row[i].trim() === 'Other') {
          ctx.otherExcluded = shown.rows.filter((r) => buckets.slice(0, i).every((_, j) => r[j] === row[j])).map((r) => r[i].trim());
        }
        return bucketPredicate(b, row[i], ctx);
      });
      sel = events.filter((e) => preds.every((p) => p(e)));
    }
    metricCols.forEach(({ m, p }, k) => {
      const expected = metricValue(m, sel, p);
      const text = row[bucketCount + k];
      if (!metricMatches(text, expected)) problems.push(`row ${row.slice(0, bucketCount).join(' / ')}: ${shown.headers[bucketCount + k]} shows ${text}, the events give ${expected.value}`);
    });
  }
  // The first terms level lists the top terms by count (ties in any order).
  const first = buckets[0];
  if (spec.type !== 'heatmap' && first?.type === 'terms' && (first.order?.by ?? '_count') === '_count' && (first.order?.dir ?? 'desc') === 'desc') {
    const counts = new Map();
    for (const e of events) {
      const v = String(fieldOf(e, first.field));
      if (fieldOf(e, first.field) !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const top = [...counts.values()].sort((a, b) => b - a).slice(0, first.size ?? 5);
    const shownTerms = [...new Set(shown.rows.map((r) => r[0].trim()).filter((t) => t !== 'Other' && t !== 'Missing'))];
    const shownCounts = shownTerms.map((t) => counts.get(t) ?? 0).sort((a, b) => b - a);
    if (JSON.stringify(shownCounts) !== JSON.stringify(top)) problems.push(`the terms shown (${shownTerms.join(', ')}) are not the top ${first.size ?? 5} by count`);
  }
  return problems;
}
