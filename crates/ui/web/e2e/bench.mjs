// Discover timings in a real browser against an already running `sluice ui` (not a test: `node
// --test e2e/` runs only *.test.mjs). Run from crates/ui/web with
//
//   SLUICE_UI_URL=http://127.0.0.1:5601 node e2e/bench.mjs
//
// Needs a data view with id `python-logs` (title `python-logs-*`, time field `@timestamp`) with
// documents over the last 24 hours (`sluice ui` creates it on first start when python-logs-*
// indices exist). Environment: SLUICE_UI_URL (required), SLUICE_BENCH_RUNS (default 7),
// SLUICE_BENCH_ONLY=first_screen (measure the first screen alone, e.g. right after a restart of
// the store, whose memo of unchanged segments is then empty), CHROMIUM
// (default /usr/bin/chromium). Prints one JSON object on stdout:
//
//   {"first_screen_ms": [...], "query_ms": [...], "first_screen_median_ms": n,
//    "query_median_ms": n, "browser": "<version>", ...}
//
// and exits non-zero with a message on stderr when a step takes longer than 60 s or fails.
//
// first_screen_ms: each run opens /app/discover?dv=python-logs&from=now-24h&to=now in a new
//   browser context (an empty HTTP cache and storage: a first visit, not a returning user; the
//   browser process itself stays up between runs), SETTLE_MS (1 s) after the context's page was
//   made, so that Chromium's start-up of its renderer is over, as in a browser that is already
//   open. first_screen_unsettled_ms: the same, navigating at once (the renderer's start-up on
//   this machine's two cores competes with the page and the store; the figure before 2026-12-06). Measured with the page's own clock: its
//   performance.now() counts from the start of the navigation page.goto makes, and is read when,
//   all at once, the "Hits" status carries data-count and is not loading, the "Documents" table
//   has its first 50 rows (or all of them when fewer match), the "Fields" list has entries, and
//   the "Hits over time" chart is ready with its bars drawn (SVG rects with a size; before
//   the histogram was SVG, ECharts' canvas was read for bar pixels).
// query_ms: one page, loaded with the same 24 hours as absolute times (fixed when the phase
//   starts, so the expected counts cannot drift with `now`). Each run fills the "Search" box with
//   the next KQL query of QUERIES and presses Enter; measured in the page from the Enter keydown
//   until the page has been seen loading and then shows, settled, the hit count that POST
//   /api/count gave beforehand for the same body, with the first row showing the newest matching
//   document (from POST /api/search, size 1) and the first 50 rows present. After each run the
//   body the page really sent is compared with the one counted.
//
// dashboard_ms: a six-panel dashboard (pie, stacked bars over time, horizontal bars, line, metric,
//   data table over python-logs; made through the API as `bench-*` saved objects, replaced if they
//   exist) opened over the last 24 hours as absolute times; each run types a new start time (24, 12
//   or 6 hours back, in turn) into "Start date" and presses Enter; measured in the page from the
//   Enter keydown until the dashboard's answer for that range has arrived and all six panels show
//   it (each chart's canvas made and drawn, the metric and table in the DOM), checked on every
//   animation frame. dashboard_server_took_ms: the server's own `took` for those answers (all
//   panels in one _msearch).
//
// All waits poll one combined condition in the page on every animation frame.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const STEP_TIMEOUT_MS = 60_000;
const DATA_VIEW = 'python-logs';
const PATTERN = 'python-logs-*';
const TIME_FIELD = '@timestamp';
const PAGE_ROWS = 50;
const QUERIES = ['level:ERROR', 'level:ERROR and user:user1', 'action:login or action:logout', 'not level:INFO', 'duration > 2'];

class BenchError extends Error {}

function env() {
  const raw = process.env.SLUICE_UI_URL;
  if (!raw) throw new BenchError('set SLUICE_UI_URL to a running `sluice ui`, e.g. SLUICE_UI_URL=http://127.0.0.1:5601');
  let base;
  try {
    base = new URL(raw);
  } catch {
    throw new BenchError(`SLUICE_UI_URL is not a URL: ${raw}`);
  }
  const runsText = process.env.SLUICE_BENCH_RUNS ?? '7';
  const runs = Number(runsText);
  if (!Number.isInteger(runs) || runs < 1) throw new BenchError(`SLUICE_BENCH_RUNS must be a positive integer, not ${runsText}`);
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) throw new BenchError(`no Chromium at ${chromiumPath} (set CHROMIUM)`);
  return { base: base.href.replace(/\/+$/, ''), runs, chromiumPath };
}

const round1 = (ms) => Math.round(ms * 10) / 10;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return round1(s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2);
}

/** Runs one step; a timeout or failure becomes a BenchError naming the step. */
async function step(what, fn, page = null) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof BenchError) throw e;
    const timedOut = e?.name === 'TimeoutError' || /timeout/i.test(e?.message ?? '');
    let seen = '';
    if (page && !page.isClosed()) {
      seen = await page
        .evaluate(pageState)
        .then((s) => ` (the page shows: ${JSON.stringify(s)})`)
        .catch(() => '');
    }
    const why = timedOut ? `timed out after ${STEP_TIMEOUT_MS / 1000} s` : `failed: ${e?.message ?? e}`;
    throw new BenchError(`${what}: ${why}${seen}`);
  }
}

/** What Discover shows (for error messages); runs in the page. */
function pageState() {
  const hits = document.querySelector('[role="status"][aria-label="Hits"]');
  const alert = document.querySelector('[role="alert"]');
  return {
    url: location.pathname + location.search,
    hits: hits ? { count: hits.getAttribute('data-count'), loading: hits.getAttribute('data-loading') } : null,
    rows: document.querySelectorAll('table[aria-label="Documents"] > tbody > tr.doc-row').length,
    fields: document.querySelectorAll('section[aria-label="Fields"] li.field-item').length,
    chart: document.querySelector('figure.histogram .histogram-chart')?.getAttribute('data-ready') ?? null,
    alert: alert ? alert.textContent.slice(0, 300) : null,
  };
}

async function api(base, method, path, body) {
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
  } catch (e) {
    if (e?.name === 'TimeoutError') throw e;
    throw new Error(`cannot reach ${base}: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? e}`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The first screen is complete (runs in the page): the in-page time (ms since navigation start), or false. */
function firstScreenReady({ pageRows }) {
  const hits = document.querySelector('[role="status"][aria-label="Hits"]');
  if (!hits || hits.getAttribute('data-loading') !== 'false') return false;
  const countText = hits.getAttribute('data-count');
  const count = Number(countText);
  if (countText === null || countText === '' || !Number.isFinite(count)) return false;
  const rows = document.querySelectorAll('table[aria-label="Documents"] > tbody > tr.doc-row').length;
  if (rows < Math.min(pageRows, count)) return false;
  if (!document.querySelector('section[aria-label="Fields"] li.field-item')) return false;
  const chart = document.querySelector('figure.histogram .histogram-chart[data-ready="true"] svg');
  if (!chart) return false;
  // With hits, the bars are drawn: an SVG rect of the bar class with a height and a width
  // (src/pages/discover/Histogram.tsx; the chart is SVG, laid out by the time this frame paints).
  if (count > 0 && ![...chart.querySelectorAll('rect.bar')].some((r) => Number(r.getAttribute('height')) > 0 && Number(r.getAttribute('width')) > 0)) return false;
  return performance.now();
}

/** Installed once per page: records the Enter keydown and whether a search was seen in flight. */
function installQueryProbe() {
  window.__sluiceBench = { t0: null, sawLoading: false };
  document.addEventListener(
    'keydown',
    (e) => {
      const b = window.__sluiceBench;
      if (e.key === 'Enter' && b.armed && b.t0 === null) b.t0 = performance.now();
    },
    true,
  );
  new MutationObserver((records) => {
    const b = window.__sluiceBench;
    if (!b.armed) return;
    for (const r of records) {
      const v = r.target.getAttribute(r.attributeName);
      if ((r.attributeName === 'data-loading' || r.attributeName === 'aria-busy') && v === 'true') b.sawLoading = true;
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-loading', 'aria-busy'] });
}

/** The query's result is on screen (runs in the page): ms since the Enter keydown, or false. */
function queryReady({ expected, firstTime, pageRows }) {
  const b = window.__sluiceBench;
  if (!b || b.t0 === null || !b.sawLoading) return false;
  const hits = document.querySelector('[role="status"][aria-label="Hits"]');
  if (!hits || hits.getAttribute('data-loading') !== 'false' || hits.getAttribute('data-count') !== String(expected)) return false;
  const rows = document.querySelectorAll('table[aria-label="Documents"] > tbody > tr.doc-row');
  if (expected === 0) return rows.length === 0 ? performance.now() - b.t0 : false;
  if (rows.length < Math.min(pageRows, expected)) return false;
  // src/lib/format.ts formatTime: `Dec 4, 2026 @ 15:27:43.512` in the browser's time zone.
  const d = new Date(firstTime);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const text = `${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()} @ ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  if (rows[0].querySelector('td.col-time')?.textContent !== text) return false;
  return performance.now() - b.t0;
}

/** The time of a hit as Discover's time column shows it (epoch ms). */
function hitTime(hit) {
  let v = hit._source?.[TIME_FIELD];
  if (v === undefined) v = TIME_FIELD.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), hit._source);
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  const s = hit.sort?.[0];
  if (typeof s === 'number') return s;
  throw new Error(`hit ${hit._id} has no ${TIME_FIELD}`);
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** How long a new context's page is left before the first-screen navigation ("settled"). */
const SETTLE_MS = 1000;

async function firstScreen(browser, base, run, settleMs) {
  const { context, page, errors } = await newPage(browser);
  try {
    // Chromium starts a new context's renderer in the background; navigating at once races that
    // start-up for this machine's two cores (the page's own work and the store's search with it).
    if (settleMs > 0) await page.waitForTimeout(settleMs);
    const url = `${base}/app/discover?dv=${DATA_VIEW}&from=now-24h&to=now`;
    await step(`first screen, run ${run}: open ${url}`, () => page.goto(url, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS }), page);
    const handle = await step(
      `first screen, run ${run}: Hits, 50 rows, the chart and the field list`,
      () => page.waitForFunction(firstScreenReady, { pageRows: PAGE_ROWS }, { polling: 'raf', timeout: STEP_TIMEOUT_MS }),
      page,
    );
    const ms = await handle.jsonValue();
    if (errors.length) throw new BenchError(`first screen, run ${run}: page errors: ${errors.join('; ')}`);
    return ms;
  } finally {
    await context.close();
  }
}

async function queries(browser, base, runs) {
  const { context, page, errors } = await newPage(browser);
  try {
    const to = Date.now();
    const from = to - 24 * 3600_000;
    const url = `${base}/app/discover?dv=${DATA_VIEW}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const sent = [];
    page.on('request', (r) => {
      if (r.method() !== 'POST' || new URL(r.url()).pathname !== '/api/search') return;
      const body = r.postDataJSON();
      if (body && body.searchAfter === null) sent.push(body);
    });
    await step(`queries: open ${url}`, () => page.goto(url, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS }), page);
    await step(
      'queries: the first screen',
      () => page.waitForFunction(firstScreenReady, { pageRows: PAGE_ROWS }, { polling: 'raf', timeout: STEP_TIMEOUT_MS }),
      page,
    );
    const initial = sent.at(-1);
    if (!initial || initial.from !== from || initial.to !== to) {
      throw new BenchError(`queries: the page searched ${JSON.stringify(initial && { from: initial.from, to: initial.to })}, expected from ${from} to ${to}`);
    }
    await page.evaluate(installQueryProbe);
    const box = page.getByRole('searchbox', { name: 'Search', exact: true });
    const results = [];
    for (let i = 0; i < runs; i++) {
      const query = QUERIES[i % QUERIES.length];
      const what = `query run ${i + 1} (${query})`;
      // The body the page sends for this query, less size/searchAfter/histogram (API.md).
      const body = {
        index: initial.index,
        timeField: initial.timeField,
        query: { language: 'kuery', query },
        filters: initial.filters,
        from,
        to,
        sort: initial.sort,
        columns: initial.columns,
      };
      const expected = (await step(`${what}: POST /api/count`, () => api(base, 'POST', '/api/count', body))).count;
      let firstTime = null;
      if (expected > 0) {
        const top = await step(`${what}: POST /api/search`, () => api(base, 'POST', '/api/search', { ...body, size: 1, searchAfter: null, histogram: null }));
        if (!top.hits?.length) throw new BenchError(`${what}: /api/count says ${expected} but /api/search returned no hit`);
        firstTime = hitTime(top.hits[0]);
      }
      await step(`${what}: type the query`, async () => {
        await box.fill(query);
        await page.waitForFunction((q) => document.querySelector('input[type="search"][aria-label="Search"]')?.value === q, query, { timeout: STEP_TIMEOUT_MS });
      }, page);
      const sentBefore = sent.length;
      await page.evaluate(() => Object.assign(window.__sluiceBench, { t0: null, sawLoading: false, armed: true }));
      await step(`${what}: press Enter`, () => box.press('Enter'), page);
      const handle = await step(
        `${what}: Hits = ${expected} and the first row`,
        () => page.waitForFunction(queryReady, { expected, firstTime, pageRows: PAGE_ROWS }, { polling: 'raf', timeout: STEP_TIMEOUT_MS }),
        page,
      );
      results.push(await handle.jsonValue());
      await page.evaluate(() => {
        window.__sluiceBench.armed = false;
      });
      // The page's own request must be the counted one.
      const mine = sent.slice(sentBefore).at(-1);
      const strip = (b) => JSON.stringify({ index: b.index, timeField: b.timeField, query: b.query, filters: b.filters, from: b.from, to: b.to, sort: b.sort, columns: b.columns });
      if (!mine || strip(mine) !== strip(body)) {
        throw new BenchError(`${what}: the page sent ${mine ? strip(mine) : 'no search'}, the count was for ${strip(body)}`);
      }
      if (errors.length) throw new BenchError(`${what}: page errors: ${errors.join('; ')}`);
    }
    return results;
  } finally {
    await context.close();
  }
}

// --- the dashboard ---------------------------------------------------------------------------------

const BENCH_VIS = [
  ['bench-pie', 'Bench: events per user', { type: 'pie', metrics: [{ id: '1', type: 'count' }], buckets: [{ id: '2', role: 'x', type: 'terms', field: 'user.keyword', size: 10 }], params: { donut: true } }],
  ['bench-levels', 'Bench: levels over time', { type: 'bar', metrics: [{ id: '1', type: 'count' }], buckets: [{ id: '2', role: 'x', type: 'date_histogram', field: TIME_FIELD, interval: 'auto' }, { id: '3', role: 'split', type: 'terms', field: 'level.keyword', size: 5 }], params: { stacked: true } }],
  ['bench-duration', 'Bench: average duration per action', { type: 'hbar', metrics: [{ id: '1', type: 'avg', field: 'duration' }], buckets: [{ id: '2', role: 'x', type: 'terms', field: 'action.keyword', size: 10 }], params: {} }],
  ['bench-max', 'Bench: max duration over time', { type: 'line', metrics: [{ id: '1', type: 'max', field: 'duration' }], buckets: [{ id: '2', role: 'x', type: 'date_histogram', field: TIME_FIELD, interval: 'auto' }], params: {} }],
  ['bench-metric', 'Bench: events and users', { type: 'metric', metrics: [{ id: '1', type: 'count' }, { id: '2', type: 'cardinality', field: 'user.keyword' }], buckets: [], params: {} }],
  ['bench-table', 'Bench: level by action', { type: 'table', metrics: [{ id: '1', type: 'count' }], buckets: [{ id: '2', role: 'rows', type: 'terms', field: 'level.keyword', size: 5 }, { id: '3', role: 'rows', type: 'terms', field: 'action.keyword', size: 10 }], params: {} }],
];
const BENCH_DASHBOARD = 'bench-dashboard';

async function put(base, type, id, attributes) {
  const exists = await api(base, 'GET', `/api/saved_objects/${type}/${id}`).then(() => true, () => false);
  if (exists) await api(base, 'PUT', `/api/saved_objects/${type}/${id}`, { attributes });
  else await api(base, 'POST', `/api/saved_objects/${type}`, { id, attributes });
}

async function makeDashboard(base) {
  for (const [id, title, spec] of BENCH_VIS) await put(base, 'visualization', id, { title, spec: { dataView: DATA_VIEW, ...spec } });
  const panels = BENCH_VIS.map(([id], i) => ({ panelId: `p${i + 1}`, type: 'visualization', ref: id, x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15 }));
  await put(base, 'dashboard', BENCH_DASHBOARD, { title: 'Bench: six panels', panels });
}

/** The dashboard shows the answer that arrived after the probe's Enter (runs in the page): ms, or false. */
function dashboardReady({ panels }) {
  const b = window.__sluiceBench;
  if (!b || b.t0 === null || !b.sawLoading) return false;
  const status = document.querySelector('[role="status"][aria-label="Dashboard status"]');
  if (!status || status.getAttribute('data-loading') !== 'false') return false;
  const at = Number(status.getAttribute('data-rendered-at'));
  if (!(at >= b.wall0)) return false;
  const rendered = document.querySelectorAll('.dash-panel[data-panel-state="rendered"]');
  if (rendered.length !== panels) return false;
  for (const p of rendered) {
    const canvasHost = p.querySelector('.vis-canvas');
    if (canvasHost) {
      const canvas = canvasHost.querySelector('canvas');
      if (canvasHost.getAttribute('data-ready') !== 'true' || !canvas || canvas.width === 0) return false;
    } else if (!p.querySelector('.vis-metric, table, .vis-empty')) return false;
  }
  return performance.now() - b.t0;
}

async function dashboard(browser, base, runs) {
  await step('dashboard: make the six visualizations and the dashboard', () => makeDashboard(base));
  const { context, page, errors } = await newPage(browser);
  try {
    const now = Date.now();
    const iso = (ms) => new Date(ms).toISOString();
    const took = [];
    const sent = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === `/api/dashboards/${BENCH_DASHBOARD}/data`) sent.push(r.postDataJSON());
    });
    page.on('response', async (r) => {
      if (r.request().method() !== 'POST' || new URL(r.url()).pathname !== `/api/dashboards/${BENCH_DASHBOARD}/data`) return;
      const body = await r.json().catch(() => null);
      if (body && typeof body.took === 'number') took.push(body.took);
    });
    const url = `${base}/app/dashboards/view/${BENCH_DASHBOARD}?from=${iso(now - 24 * 3600_000)}&to=${iso(now)}`;
    await step(`dashboard: open ${url}`, () => page.goto(url, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS }), page);
    await page.evaluate(installQueryProbe);
    await page.evaluate(() => Object.assign(window.__sluiceBench, { t0: performance.now(), wall0: 0, sawLoading: true, armed: true }));
    await step('dashboard: the first screen', () => page.waitForFunction(dashboardReady, { panels: BENCH_VIS.length }, { polling: 'raf', timeout: STEP_TIMEOUT_MS }), page);
    const failed = await page.locator('.dash-panel[data-panel-state="error"]').count();
    if (failed > 0) throw new BenchError(`dashboard: ${failed} panels show an error: ${await page.locator('.dash-panel [role="alert"]').first().textContent()}`);
    took.length = 0;
    const start = page.getByRole('textbox', { name: 'Start date' });
    const results = [];
    for (let i = 0; i < runs; i++) {
      const hours = [12, 6, 24][i % 3];
      const from = iso(now - hours * 3600_000);
      const what = `dashboard run ${i + 1} (last ${hours} hours)`;
      await step(`${what}: type the start date`, () => start.fill(from), page);
      await page.evaluate(() => Object.assign(window.__sluiceBench, { t0: null, wall0: Date.now(), sawLoading: false, armed: true }));
      const before = sent.length;
      await step(`${what}: press Enter`, () => start.press('Enter'), page);
      const handle = await step(`${what}: all six panels`, () => page.waitForFunction(dashboardReady, { panels: BENCH_VIS.length }, { polling: 'raf', timeout: STEP_TIMEOUT_MS }), page);
      results.push(await handle.jsonValue());
      const mine = sent.slice(before).at(-1);
      if (!mine || mine.timeRange.from !== Date.parse(from) || mine.timeRange.to !== now) {
        throw new BenchError(`${what}: the page asked for ${JSON.stringify(mine?.timeRange)}, expected from ${Date.parse(from)} to ${now}`);
      }
      if (errors.length) throw new BenchError(`${what}: page errors: ${errors.join('; ')}`);
    }
    return { ms: results, took };
  } finally {
    await context.close();
  }
}

async function main() {
  const { base, runs, chromiumPath } = env();
  const status = await step(`GET ${base}/api/status`, () => api(base, 'GET', '/api/status'));
  if (!status.backend?.ok) throw new BenchError(`sluice ui at ${base} cannot reach its backend: ${JSON.stringify(status.error)}`);
  const views = await step(`GET ${base}/api/data_views`, () => api(base, 'GET', '/api/data_views'));
  const dv = views.data_views?.find((v) => v.id === DATA_VIEW);
  if (!dv) throw new BenchError(`no data view with id ${DATA_VIEW} at ${base} (index python-logs-* documents, or create it: POST /api/data_views)`);
  if (dv.title !== PATTERN || dv.timeField !== TIME_FIELD) {
    throw new BenchError(`data view ${DATA_VIEW} is ${JSON.stringify(dv)}, expected title ${PATTERN} and time field ${TIME_FIELD}`);
  }

  const browser = await step(`launch ${chromiumPath}`, () => chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], timeout: STEP_TIMEOUT_MS }));
  try {
    const firstScreenMs = [];
    const unsettledMs = [];
    for (let run = 1; run <= runs; run++) {
      firstScreenMs.push(round1(await firstScreen(browser, base, run, SETTLE_MS)));
      unsettledMs.push(round1(await firstScreen(browser, base, run, 0)));
    }
    if (process.env.SLUICE_BENCH_ONLY === 'first_screen') {
      process.stdout.write(`${JSON.stringify({ first_screen_ms: firstScreenMs, first_screen_unsettled_ms: unsettledMs, browser: browser.version() })}\n`);
      return;
    }
    const queryMs = (await queries(browser, base, runs)).map(round1);
    const dash = await dashboard(browser, base, runs);
    const dashboardMs = dash.ms.map(round1);
    const out = {
      first_screen_ms: firstScreenMs,
      query_ms: queryMs,
      first_screen_median_ms: median(firstScreenMs),
      first_screen_unsettled_ms: unsettledMs,
      first_screen_unsettled_median_ms: median(unsettledMs),
      first_screen_settle_ms: SETTLE_MS,
      query_median_ms: median(queryMs),
      dashboard_ms: dashboardMs,
      dashboard_median_ms: median(dashboardMs),
      dashboard_server_took_ms: dash.took,
      dashboard_server_took_median_ms: dash.took.length ? median(dash.took) : null,
      browser: browser.version(),
      first_screen_cache: 'cold (new browser context per run)',
      queries: QUERIES.slice(0, Math.min(runs, QUERIES.length)),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    // Also on stderr, which `cargo xtask bench ui` passes through (it prints Discover's figures).
    process.stderr.write(
      `bench ui: browser dashboard (six panels, median of ${runs}): ${out.dashboard_median_ms} ms from a new time range to all panels drawn; server took ${out.dashboard_server_took_median_ms} ms (one _msearch)\n`,
    );
  } finally {
    await browser.close().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: ${e instanceof BenchError ? e.message : e?.stack ?? e}\n`);
    process.exit(1);
  },
);
