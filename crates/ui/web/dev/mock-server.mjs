#!/usr/bin/env node
// Development mock of the `sluice ui` JSON API (crates/ui/API.md) with canned, seeded events, for
// working on the front end without the Rust server: `npm run mock` (then `npm run dev`, or open
// http://127.0.0.1:5602 after `npm run build`: it serves dist/ too).
//
// It is not the real thing: its query language is a small subset (`field:value` clauses joined by
// and/AND, `not`, quoted values, `*` wildcards, free text on message). POST /__mock/backend
// {"up": false} simulates a backend outage, {"up": true} ends it.
//
//   node dev/mock-server.mjs [--port 5602] [--count 3000]

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tabify, tutorialObjects } from './mock-vis.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const PORT = Number(opt('port', process.env.PORT ?? '5602'));
const COUNT = Number(opt('count', '3000'));
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

// --- data ----------------------------------------------------------------------------------------
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const ACTIONS = ['login', 'logout', 'purchase', 'search', 'view_item', 'add_to_cart'];
const now = Date.now();
const events = [];
for (let i = 0; i < COUNT; i++) {
  const ts = now - Math.floor(rand() * 24 * 3600 * 1000);
  const r = rand();
  const level = r < 0.1 ? 'ERROR' : r < 0.25 ? 'WARNING' : 'INFO';
  const user = `user${1 + Math.floor(rand() * rand() * 20)}`;
  const action = ACTIONS[Math.floor(rand() * ACTIONS.length)];
  const duration = Math.round(rand() * 3000) / 1000;
  const message =
    level === 'ERROR' ? `Error during ${action} by ${user}` : level === 'WARNING' ? `Slow action detected: ${action} took ${duration}s` : `User ${user} performed ${action} in ${duration}s`;
  const d = new Date(ts);
  const index = `python-logs-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
  events.push({
    _index: index,
    _id: `id${i}`,
    seq: i,
    ts,
    _source: { '@timestamp': d.toISOString(), '@version': '1', level, message, user, action, duration, extra: { host: `web-${i % 3}`, tags: ['python', 'webapp'] }, type: 'python-logstash' },
  });
}
const FIELDS = [
  ['@timestamp', 'date', ['date']], ['@version', 'string', ['keyword']], ['level', 'string', ['text']], ['level.keyword', 'string', ['keyword']],
  ['message', 'string', ['text']], ['user', 'string', ['keyword']], ['action', 'string', ['keyword']], ['duration', 'number', ['float']],
  ['extra.host', 'string', ['keyword']], ['extra.tags', 'string', ['keyword']], ['type', 'string', ['keyword']], ['unused', 'string', ['keyword']],
].map(([name, type, esTypes]) => ({ name, type, esTypes, searchable: true, aggregatable: !esTypes.includes('text') }));

let backendUp = true;
const dataViews = [];
let defaultView = null;
const saved = new Map(); // `${type}/${id}` -> object
let nextId = 1;

// --- helpers -------------------------------------------------------------------------------------
const globRe = (pattern) => new RegExp(`^(${pattern.split(',').map((p) => p.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')).join('|')})$`);
const indicesFor = (pattern) => [...new Set(events.map((e) => e._index))].filter((i) => globRe(pattern).test(i)).sort();
const err = (status, type, reason, extra = {}) => ({ status, body: { error: { status, type, reason, hint: null, position: null, ...extra } } });
const flatValues = (source, field) => {
  const out = [];
  const visit = (v, path) => {
    if (Array.isArray(v)) return v.forEach((x) => visit(x, path));
    if (v && typeof v === 'object') return Object.entries(v).forEach(([k, c]) => visit(c, path ? `${path}.${k}` : k));
    if (path === field) out.push(v);
  };
  visit(source, '');
  return out;
};
const norm = (f) => f.replace(/\.keyword$/, '');

function parseQuery(text, language) {
  const q = text.trim();
  if (q === '') return { match: () => true, terms: [] };
  const clauses = q.split(language === 'lucene' ? /\s+AND\s+/ : /\s+and\s+/i);
  const preds = [];
  const terms = [];
  let offset = 0;
  for (const raw of clauses) {
    const at = text.indexOf(raw, offset);
    offset = at + raw.length;
    let c = raw.trim();
    let negate = false;
    if (/^not\s+/i.test(c)) {
      negate = true;
      c = c.replace(/^not\s+/i, '');
    }
    const colon = c.indexOf(':');
    if (colon === c.length - 1) {
      const pos = at + raw.length;
      const type = language === 'lucene' ? 'lucene_syntax_error' : 'kql_syntax_error';
      throw err(400, type, "Expected a value after ':' but end of input found", { hint: 'Finish the query: field:value', position: { offset: pos, line: 1, column: pos + 1 } });
    }
    let field = null;
    let value = c;
    if (colon > 0) {
      field = norm(c.slice(0, colon));
      value = c.slice(colon + 1);
    }
    value = value.replace(/^"(.*)"$/, '$1');
    terms.push(value.replace(/\*/g, ''));
    const re = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    const p = field
      ? (e) => flatValues(e._source, field).some((v) => re.test(String(v)))
      : (e) => String(e._source.message).toLowerCase().includes(value.toLowerCase());
    preds.push(negate ? (e) => !p(e) : p);
  }
  return { match: (e) => preds.every((p) => p(e)), terms };
}

function matcher(body) {
  const q = parseQuery(body.query?.query ?? '', body.query?.language ?? 'kuery');
  const re = globRe(body.index);
  const filters = (body.filters ?? []).filter((f) => !f.disabled);
  return {
    terms: q.terms,
    match: (e) => {
      if (!re.test(e._index)) return false;
      if (body.timeField && body.from != null && (e.ts < body.from || e.ts > body.to)) return false;
      if (!q.match(e)) return false;
      return filters.every((f) => {
        const vals = f.field === '@timestamp' ? [e.ts] : flatValues(e._source, norm(f.field ?? ''));
        const r = f.range;
        const hit = f.query
          ? parseQuery(f.query.query, f.query.language).match(e)
          : r
            ? vals.some((v) => typeof v === 'number' && (r.gte === undefined || v >= r.gte) && (r.gt === undefined || v > r.gt) && (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte))
            : f.exists
              ? vals.length > 0
              : f.values
                ? vals.some((v) => f.values.some((x) => String(x) === String(v)))
                : vals.some((v) => v === f.value || String(v) === String(f.value));
        return f.negate ? !hit : hit;
      });
    },
  };
}

function intervalMs(name) {
  const m = /^(\d+)(s|m|h|d|w|M|y)$/.exec(name);
  if (!m) return 30 * 60 * 1000;
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6, y: 31536e6 }[m[2]];
}

function search(body) {
  if (indicesFor(body.index).length === 0) throw err(404, 'index_not_found_exception', `no such index [${body.index}]`, { hint: 'check the data view pattern' });
  const { match, terms } = matcher(body);
  const all = events.filter(match);
  const dir = body.sort === 'asc' ? 1 : -1;
  all.sort((a, b) => dir * (a.ts - b.ts) || dir * (a.seq - b.seq));
  let start = 0;
  if (Array.isArray(body.searchAfter)) {
    const [t, s] = body.searchAfter;
    start = all.findIndex((e) => dir * (e.ts - t) > 0 || (e.ts === t && dir * (e.seq - s) > 0));
    if (start < 0) start = all.length;
  }
  const size = Math.min(body.size ?? 50, 10000);
  const hl = (text) => {
    let out = String(text);
    for (const t of terms) if (t) out = out.replace(new RegExp(`(${t.replace(/[.+?^${}()|[\]\\]/g, '\\$&')})`, 'ig'), '<mark>$1</mark>');
    return out;
  };
  const hits = all.slice(start, start + size).map((e) => ({
    _index: e._index,
    _id: e._id,
    _source: e._source,
    sort: [e.ts, e.seq],
    ...(terms.length ? { highlight: { message: [hl(e._source.message)] } } : {}),
  }));
  let histogram = null;
  if (body.histogram && body.timeField && body.from != null) {
    const ms = intervalMs(body.histogram.interval);
    const buckets = new Map();
    for (let k = Math.floor(body.from / ms) * ms; k <= body.to; k += ms) buckets.set(k, 0);
    for (const e of all) {
      const k = Math.floor(e.ts / ms) * ms;
      buckets.set(k, (buckets.get(k) ?? 0) + 1);
    }
    histogram = { interval: body.histogram.interval, buckets: [...buckets].map(([key, count]) => ({ key, count })) };
  }
  return { total: all.length, totalRelation: 'eq', took: 3, hits, histogram };
}

function savedObject(type, id, attributes) {
  return { id, type, attributes, updated_at: new Date().toISOString() };
}

function syncDataViews() {
  for (const [k, o] of saved) if (o.type === 'index-pattern') saved.delete(k);
  for (const dv of dataViews) saved.set(`index-pattern/${dv.id}`, savedObject('index-pattern', dv.id, { title: dv.title, timeFieldName: dv.timeField }));
}

/** A visualization spec's table under the page's global state (POST /api/vis/data's body). */
function visData(spec, body) {
  const dv = dataViews.find((d) => d.id === spec.dataView);
  if (!dv) throw err(404, 'not_found', `no data view [${spec.dataView}]`);
  const query = [body.query?.query, spec.query?.query].filter((q) => q && q.trim()).map((q) => `(${q})`.slice(1, -1)).join(' and ');
  const { match } = matcher({ index: dv.title, timeField: dv.timeField, query: { language: body.query?.language ?? 'kuery', query }, filters: [...(body.filters ?? []), ...(spec.filters ?? [])], from: body.timeRange?.from, to: body.timeRange?.to });
  const docs = events.filter(match);
  const field = (e, f) => (f === '@timestamp' ? e.ts : flatValues(e._source, norm(f))[0]);
  const kql = (q, language) => parseQuery(q, language).match;
  return tabify(spec, docs, { field, match: kql, timeRange: body.timeRange });
}

function dashboardData(panels, body) {
  return {
    took: 2,
    panels: panels.map((p) => {
      try {
        if (p.type === 'search') {
          const s = saved.get(`search/${p.ref}`);
          if (!s) throw err(404, 'not_found', `no saved search [${p.ref}]`);
          const dv = dataViews.find((d) => d.id === s.attributes.dataViewId) ?? dataViews[0];
          const r = search({ index: dv.title, timeField: dv.timeField, query: { language: 'kuery', query: [body.query?.query, s.attributes.query?.query].filter((q) => q && q.trim()).join(' and ') }, filters: [...(body.filters ?? []), ...(s.attributes.filters ?? [])], from: body.timeRange?.from, to: body.timeRange?.to, sort: 'desc', size: 50 });
          const cols = ['@timestamp', ...(s.attributes.columns ?? [])];
          return { panelId: p.panelId, type: 'search', title: p.title ?? s.attributes.title, data: { columns: cols.map((c) => ({ id: c, name: c, kind: 'field', format: c === '@timestamp' ? 'date' : 'any' })), rows: r.hits.map((h) => cols.map((c) => flatValues(h._source, c)[0] ?? null)), rowFilters: [], meta: { total: r.total, took: 1, interval: null, timeZone: 'UTC', type: 'search' } }, error: null };
        }
        const v = saved.get(`visualization/${p.ref}`);
        if (!v) throw err(404, 'not_found', `no visualization [${p.ref}]`);
        return { panelId: p.panelId, type: 'visualization', title: p.title ?? v.attributes.title, visType: v.attributes.spec.type, data: visData(v.attributes.spec, body), error: null };
      } catch (e) {
        const error = e?.body?.error ?? { status: 500, type: 'mock_error', reason: String(e?.message ?? e) };
        return { panelId: p.panelId, type: p.type, title: p.title ?? p.ref, data: null, error };
      }
    }),
  };
}

// --- routes --------------------------------------------------------------------------------------
async function api(method, url, body, raw) {
  const path = url.pathname;
  if (path === '/api/status') {
    return { status: 200, body: backendUp ? { backend: { url: 'http://mock', ok: true, version: '8.15.0', distribution: 'mock' }, error: null } : { backend: { url: 'http://mock', ok: false }, error: { status: 502, type: 'backend_unreachable', reason: 'connection refused (mock)', hint: 'start the backend' } } };
  }
  if (!backendUp) throw err(502, 'backend_unreachable', 'cannot connect to http://mock: connection refused', { hint: 'is sluice-store running at http://mock?' });
  if (path === '/api/data_views' && method === 'GET') return { status: 200, body: { data_views: dataViews, default: defaultView } };
  if (path === '/api/data_views' && method === 'POST') {
    if (!body?.title) throw err(400, 'bad_request', 'title is required');
    const dv = { id: `dv${nextId++}`, title: body.title, timeField: body.timeField ?? null };
    dataViews.push(dv);
    defaultView ??= dv.id;
    syncDataViews();
    return { status: 201, body: { data_view: dv, warning: indicesFor(dv.title).length ? null : `no index matches [${dv.title}]` } };
  }
  let m = /^\/api\/data_views\/([^/]+)(\/default)?$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1]);
    const i = dataViews.findIndex((d) => d.id === id);
    if (i < 0) throw err(404, 'not_found', `no data view [${id}]`);
    if (m[2] && method === 'POST') {
      defaultView = id;
      return { status: 200, body: { default: id } };
    }
    if (method === 'DELETE') {
      dataViews.splice(i, 1);
      if (defaultView === id) defaultView = dataViews[0]?.id ?? null;
      syncDataViews();
      return { status: 200, body: { deleted: true } };
    }
  }
  if (path === '/api/fields') {
    const pattern = url.searchParams.get('pattern') ?? '';
    const indices = indicesFor(pattern);
    return { status: 200, body: { fields: indices.length ? FIELDS : [], indices } };
  }
  if (path === '/api/search' && method === 'POST') return { status: 200, body: search(body) };
  if (path === '/api/vis/data' && method === 'POST') return { status: 200, body: visData(body.spec, body) };
  if (path === '/api/dashboards/data' && method === 'POST') return { status: 200, body: dashboardData(body.panels ?? [], body) };
  const dash = /^\/api\/dashboards\/([^/]+)\/data$/.exec(path);
  if (dash && method === 'POST') {
    const d = saved.get(`dashboard/${decodeURIComponent(dash[1])}`);
    if (!d) throw err(404, 'not_found', `no dashboard [${dash[1]}]`);
    return { status: 200, body: dashboardData(d.attributes.panels, body) };
  }
  if (path === '/api/count' && method === 'POST') return { status: 200, body: { count: search({ ...body, size: 0 }).total } };
  if (path === '/api/saved_objects' && method === 'GET') {
    const type = url.searchParams.get('type');
    return { status: 200, body: { saved_objects: [...saved.values()].filter((o) => !type || o.type === type) } };
  }
  if (path === '/api/saved_objects/_export') return { status: 200, raw: [...saved.values()].map((o) => JSON.stringify(o)).join('\n') + '\n', type: 'application/x-ndjson' };
  if (path === '/api/saved_objects/_import' && method === 'POST') {
    const lines = raw.split('\n').filter((l) => l.trim());
    for (const l of lines) {
      const o = JSON.parse(l);
      saved.set(`${o.type}/${o.id}`, o);
    }
    return { status: 200, body: { success: true, successCount: lines.length, errors: [] } };
  }
  m = /^\/api\/saved_objects\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const type = decodeURIComponent(m[1]);
    const id = m[2] ? decodeURIComponent(m[2]) : body?.id ?? `so${nextId++}`;
    if (method === 'POST') {
      const o = savedObject(type, id, body.attributes);
      saved.set(`${type}/${id}`, o);
      return { status: 201, body: o };
    }
    if (method === 'GET') {
      const o = saved.get(`${type}/${id}`);
      if (!o) throw err(404, 'not_found', `no ${type} [${id}]`);
      return { status: 200, body: o };
    }
    if (method === 'PUT') {
      const o = savedObject(type, id, body.attributes);
      saved.set(`${type}/${id}`, o);
      return { status: 200, body: o };
    }
    if (method === 'DELETE') {
      if (!saved.delete(`${type}/${id}`)) throw err(404, 'not_found', `no ${type} [${id}]`);
      if (type === 'index-pattern') {
        const i = dataViews.findIndex((d) => d.id === id);
        if (i >= 0) dataViews.splice(i, 1);
      }
      return { status: 200, body: { deleted: true } };
    }
  }
  throw err(404, 'not_found', `no route ${method} ${path}`);
}

// The tutorial's data view, visualizations and dashboard, as `sluice ui` makes them on first start.
dataViews.push({ id: 'python-logs', title: 'python-logs-*', timeField: '@timestamp' });
defaultView = 'python-logs';
syncDataViews();
for (const o of tutorialObjects()) saved.set(`${o.type}/${o.id}`, savedObject(o.type, o.id, o.attributes));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString('utf8');
  const send = (status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  };
  try {
    if (url.pathname === '/__mock/backend') {
      backendUp = JSON.parse(raw || '{}').up !== false;
      return send(200, { up: backendUp });
    }
    if (url.pathname.startsWith('/api/')) {
      let body = null;
      if (raw && req.headers['content-type']?.includes('json')) body = JSON.parse(raw);
      const r = await api(req.method, url, body, raw);
      return r.raw !== undefined ? send(r.status, r.raw, r.type) : send(r.status, r.body);
    }
    const file = url.pathname.startsWith('/assets/') ? normalize(join(DIST, url.pathname)) : join(DIST, 'index.html');
    if (!file.startsWith(DIST)) return send(404, 'not found', 'text/plain');
    return send(200, await readFile(file), TYPES[extname(file)] ?? 'application/octet-stream');
  } catch (e) {
    if (e && e.status && e.body) return send(e.status, e.body);
    return send(500, { error: { status: 500, type: 'mock_error', reason: String(e?.message ?? e) } });
  }
}).listen(PORT, '127.0.0.1', () => console.log(`mock sluice ui on http://127.0.0.1:${PORT} (${COUNT} events)`));
