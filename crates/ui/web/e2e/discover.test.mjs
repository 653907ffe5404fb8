// End-to-end: the real binaries (sluice-store, sluice ui) and Debian's Chromium through
// playwright-core. Run from crates/ui/web with
//
//   SLUICE_BIN_DIR=/work/main/target/debug node --test e2e/
//
// It starts sluice-store on a free loopback port with a temporary data directory, indexes 12,000
// generated events into daily python-logs-YYYY.MM.DD indices, starts `sluice ui` against it, and
// drives Discover as a user would. Expected numbers come from the store itself (`_count` with the
// equivalent query DSL). Screenshots of each step go to $SLUICE_E2E_OUT (default
// <repo>/target/ui-e2e/). Every child process is killed at the end, pass or fail.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const REPO = resolve(WEB, '../../..');
const BIN = resolve(process.env.SLUICE_BIN_DIR ?? join(REPO, 'target/debug'));
const OUT = resolve(process.env.SLUICE_E2E_OUT ?? join(REPO, 'target/ui-e2e'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const EVENTS = 12_000;
const TIME_FIELD = '@timestamp';
const PATTERN = 'python-logs-*';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const children = new Set();
const logs = new Map();
let store = null;
let storePort = 0;
let uiPort = 0;
let dataDir = '';
let browser = null;
let page = null;
/** Exceptions the page threw since the last test ended. */
const pageErrors = [];
let shot = 0;

// --- helpers -------------------------------------------------------------------------------------

/** Polls `fn` until it returns a truthy value (returned) or the deadline passes (throws). */
async function until(what, fn, { timeout = 30_000, every = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Starts a binary of SLUICE_BIN_DIR; its output goes to $SLUICE_E2E_OUT/<log>.log. */
function start(name, args, log) {
  const bin = join(BIN, name);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!logs.has(log)) logs.set(log, createWriteStream(join(OUT, `${log}.log`)));
  const file = logs.get(log);
  child.stdout.pipe(file, { end: false });
  child.stderr.pipe(file, { end: false });
  child.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function kill(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await child.exited;
}

function killAllSync() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllSync);

const storeUrl = (path) => `http://127.0.0.1:${storePort}${path}`;
const uiUrl = (path) => `http://127.0.0.1:${uiPort}${path}`;

async function es(method, path, body, contentType = 'application/json') {
  const res = await fetch(storeUrl(path), {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The store's own count for a query (in `filter` context, as the UI's search runs it). */
async function storeCount(filters) {
  const r = await es('POST', `/${PATTERN}/_count`, { query: { bool: { filter: filters } } });
  return r.count;
}

async function startStore() {
  store = start('sluice-store', ['--data-dir', dataDir, '--listen', `127.0.0.1:${storePort}`, '--disk-threshold-enabled', 'false'], 'sluice-store');
  await until('sluice-store to answer', async () => (await fetch(storeUrl('/'))).ok, { timeout: 60_000 });
}

async function screenshot(name) {
  shot += 1;
  await page.screenshot({ path: join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: false });
}

const hits = () => page.getByRole('status', { name: 'Hits', exact: true });
const searchbox = () => page.getByRole('searchbox', { name: 'Search', exact: true });
// CSS, not role queries, for rows: Playwright's role engine walks the whole DOM, slow over 10,000 rows.
const DOC_ROWS = 'table[aria-label="Documents"] > tbody > tr.doc-row';
const docRows = () => page.locator(DOC_ROWS);

/** Waits until the hit count has settled (no search in flight) and returns it. */
async function settledCount() {
  return until('the hit count', async () => {
    const el = hits();
    if ((await el.count()) === 0) return null;
    if ((await el.getAttribute('data-loading')) !== 'false') return null;
    const n = await el.getAttribute('data-count');
    return n === null ? null : { n: Number(n) };
  }).then((r) => r.n);
}

async function expectCount(expected, what) {
  await until(`${what}: Hits = ${expected}`, async () => (await settledCount()) === expected, { timeout: 30_000 });
  const text = await hits().textContent();
  assert.ok(text.replace(/,/g, '').includes(String(expected)), `Hits text "${text}" shows ${expected}`);
}

async function submitQuery(query) {
  await searchbox().fill(query);
  await until('the search box to hold the query', async () => (await searchbox().inputValue()) === query);
  await searchbox().press('Enter');
  const carried = () => new URL(page.url()).searchParams.get('q') === query || (query === '' && !new URL(page.url()).searchParams.has('q'));
  await until(`the URL to carry q=${query}`, carried, { timeout: 60_000 });
}

/** The "Load more" button (a CSS locator: role queries over 10,000 rows are slow in Playwright). */
const loadMore = () => page.locator('.table-footer button.load-more');

/** Clicks "Load more" unless it goes away (the last page came) or stays busy (the scroll sentinel
 * fired first): the caller's polling loop tries again. */
async function clickLoadMore(more) {
  await more.click({ timeout: 2_000 }).catch(() => undefined);
}

async function loadAllRows(expected) {
  const more = loadMore();
  await until(`${expected} rows`, async () => {
    if ((await more.count()) > 0 && (await more.isEnabled())) await clickLoadMore(more);
    return (await docRows().count()) >= expected && (await more.count()) === 0;
  }, { timeout: 60_000 });
  return docRows().count();
}

// --- set-up and tear-down ------------------------------------------------------------------------

before(async () => {
  for (const b of ['sluice-store', 'sluice']) {
    assert.ok(existsSync(join(BIN, b)), `${join(BIN, b)} is missing: build with cargo build -p cli -p store, or set SLUICE_BIN_DIR`);
  }
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (set CHROMIUM)`);
  mkdirSync(OUT, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-ui-e2e-'));
  storePort = await freePort();
  await startStore();

  // 12,000 events over the last 24 hours, as python-logstash-async sends them to Logstash
  // (@timestamp, level, message, user, action, duration), into daily indices.
  const gen = spawnSync(join(BIN, 'sluice'), ['generate', '--count', String(EVENTS), '--profile', 'realistic', '--since', '24h', '--seed', '7', '--format', 'logstash'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(gen.status, 0, `sluice generate failed: ${gen.stderr}`);
  const lines = gen.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, EVENTS);
  for (let i = 0; i < lines.length; i += 2000) {
    const body = lines
      .slice(i, i + 2000)
      .map((l) => `${JSON.stringify({ index: { _index: `python-logs-${JSON.parse(l)[TIME_FIELD].slice(0, 10).replace(/-/g, '.')}` } })}\n${l}\n`)
      .join('');
    const r = await es('POST', '/_bulk', body, 'application/x-ndjson');
    assert.equal(r.errors, false, `bulk errors: ${JSON.stringify(r.items.find((it) => Object.values(it)[0].error))}`);
  }
  await es('POST', `/${PATTERN}/_refresh`);
  assert.equal(await storeCount([]), EVENTS);

  uiPort = await freePort();
  start('sluice', ['ui', '--es', storeUrl(''), '--listen', `127.0.0.1:${uiPort}`], 'sluice-ui');
  await until('sluice ui to answer', async () => (await fetch(uiUrl('/api/status'))).ok, { timeout: 60_000 });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => {
    console.error('page error:', e.message);
    pageErrors.push(e.message);
  });
});

// An exception the page throws fails the test that caused it, even when the page looks right.
afterEach(() => {
  const thrown = pageErrors.splice(0);
  assert.deepEqual(thrown, [], 'the page threw');
});

after(async () => {
  try {
    if (page) await screenshot('final').catch(() => undefined);
    await browser?.close();
  } finally {
    for (const c of [...children]) await kill(c);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

// --- the steps -----------------------------------------------------------------------------------

describe('Discover against sluice-store', () => {
  test('create the data view python-logs-* through the UI', async () => {
    await page.goto(uiUrl('/app/management/data_views'));
    // `sluice ui` makes python-logs-* itself on first start (the tutorial's set-up step): delete
    // it through the UI (it does not come back), then create it as a user would
    const table = page.getByRole('table', { name: 'Data views' });
    await table.waitFor();
    const made = table.getByRole('link', { name: PATTERN, exact: true });
    if ((await made.count()) > 0) {
      await page.getByRole('button', { name: `Delete ${PATTERN}` }).first().click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('status').filter({ hasText: `Deleted ${PATTERN}` }).waitFor();
      await until('the made data view to go', async () => (await made.count()) === 0);
    }
    await page.getByRole('textbox', { name: 'Index pattern' }).fill(PATTERN);
    const timeField = page.getByRole('combobox', { name: 'Timestamp field' });
    await until('the time field choices', async () => (await timeField.locator('option', { hasText: TIME_FIELD }).count()) > 0);
    await timeField.selectOption(TIME_FIELD);
    await page.getByRole('button', { name: 'Create data view' }).click();
    await page.getByRole('status').filter({ hasText: `Created ${PATTERN}` }).waitFor();
    await made.first().waitFor();
    assert.equal(await made.count(), 1, 'one data view per pattern');
    await screenshot('data-view');
  });

  test('KQL level:ERROR and user:user1: hits and rows equal the store count', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Discover' }).click();
    await page.getByRole('combobox', { name: 'Quick ranges' }).selectOption({ label: 'Last 7 days' });
    await expectCount(EVENTS, 'everything');
    await submitQuery('level:ERROR and user:user1');
    const expected = await storeCount([{ match: { level: 'ERROR' } }, { match: { user: 'user1' } }]);
    assert.ok(expected > 0, 'the generated data has errors of user1');
    await expectCount(expected, 'KQL');
    assert.equal(await loadAllRows(expected), expected);
    await screenshot('kql');
  });

  test('Lucene level:ERROR AND user:user1 gives the same', async () => {
    await page.getByRole('combobox', { name: 'Query language' }).selectOption('lucene');
    await submitQuery('level:ERROR AND user:user1');
    assert.equal(new URL(page.url()).searchParams.get('lang'), 'lucene');
    const expected = await storeCount([{ query_string: { query: 'level:ERROR AND user:user1' } }]);
    await expectCount(expected, 'Lucene');
    assert.equal(await loadAllRows(expected), expected);
    await screenshot('lucene');
  });

  test('a KQL syntax error is shown in place with its position', async () => {
    await page.getByRole('combobox', { name: 'Query language' }).selectOption('kuery');
    await submitQuery('level:');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    assert.match(text, /KQL/);
    assert.match(text, /column \d+/);
    await screenshot('kql-error');
    await submitQuery('');
    await expectCount(EVENTS, 'cleared query');
    assert.equal(await page.getByRole('alert').count(), 0);
  });

  test('a filter from the field list changes the count to the store count, and goes away', async () => {
    const fields = page.getByRole('region', { name: 'Fields', exact: true });
    await fields.getByRole('button', { name: 'action', exact: true }).click();
    const plus = fields.getByRole('button', { name: /^Filter for action: / }).first();
    const name = await plus.getAttribute('aria-label');
    const value = name.replace('Filter for action: ', '');
    await plus.click();
    const expected = await storeCount([{ match_phrase: { action: value } }]);
    assert.ok(expected > 0 && expected < EVENTS);
    await expectCount(expected, `filter action: ${value}`);
    const filters = page.getByRole('list', { name: 'Filters' });
    await filters.getByText(`action: ${value}`).waitFor();
    await screenshot('filter');
    await page.getByRole('button', { name: `Remove filter action: ${value}` }).click();
    await expectCount(EVENTS, 'filter removed');
  });

  test('dragging across the histogram sets an absolute range in the URL and the count follows', async () => {
    const before = new URL(page.url()).searchParams;
    assert.equal(before.get('from'), 'now-7d');
    const chart = page.getByRole('figure', { name: 'Hits over time' }).locator('.histogram-chart[data-ready="true"]');
    await chart.waitFor();
    const box = await chart.boundingBox();
    // The plot area is the chart less the grid margins of src/lib/histogram.ts (48 px left, 16 px
    // right); the events are in the last 24 hours of the 7 days shown, the last seventh of it.
    const left = box.x + 48;
    const width = box.width - 64;
    const y = box.y + box.height / 2;
    await page.mouse.move(left + width * 0.88, y);
    await page.mouse.down();
    await page.mouse.move(left + width * 0.92, y, { steps: 10 });
    await page.mouse.move(left + width * 0.96, y, { steps: 10 });
    await page.mouse.up();
    const url = await until('an absolute range in the URL', () => {
      const p = new URL(page.url()).searchParams;
      return p.get('from') !== 'now-7d' && /^\d{4}-/.test(p.get('from') ?? '') ? p : null;
    });
    const from = url.get('from');
    const to = url.get('to');
    assert.ok(Date.parse(from) < Date.parse(to));
    const expected = await storeCount([{ range: { [TIME_FIELD]: { gte: from, lte: to } } }]);
    assert.ok(expected > 0 && expected < EVENTS, `the brushed range holds some events (${expected})`);
    await expectCount(expected, 'brushed range');
    await screenshot('brush');
    // Back goes to the previous range.
    await page.goBack();
    await until('back to now-7d', () => new URL(page.url()).searchParams.get('from') === 'now-7d');
    await expectCount(EVENTS, 'back');
  });

  test('the histogram zooms from the keyboard: End, Shift+ArrowLeft, Enter', async () => {
    const chart = page.getByRole('group', { name: 'Hits over time chart' });
    await chart.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    const url = await until('an absolute range from the keyboard', () => {
      const p = new URL(page.url()).searchParams;
      return /^\d{4}-/.test(p.get('from') ?? '') ? p : null;
    });
    // the last two buckets, clamped to the range shown: `to` is the newest bucket's last millisecond or now
    const expected = await storeCount([{ range: { [TIME_FIELD]: { gte: url.get('from'), lte: url.get('to') } } }]);
    assert.ok(expected > 0 && expected < EVENTS, `the two newest buckets hold some events (${expected})`);
    await expectCount(expected, 'keyboard zoom');
    await page.goBack();
    await until('back to now-7d', () => new URL(page.url()).searchParams.get('from') === 'now-7d');
    await expectCount(EVENTS, 'back');
  });

  test('a row expands into its fields and JSON', async () => {
    await docRows().first().getByRole('button', { name: 'Toggle details' }).click();
    const details = page.getByRole('table', { name: 'Document fields' }).first();
    await details.getByRole('rowheader', { name: 'level', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'JSON' }).first().click();
    const json = await page.getByLabel('Document JSON').first().textContent();
    const doc = JSON.parse(json);
    assert.ok(doc._source[TIME_FIELD]);
    await screenshot('row-expanded');
    await docRows().first().getByRole('button', { name: 'Toggle details' }).click();
  });

  test('the time column sorts both ways', async () => {
    const firstTime = () => docRows().first().locator('td.col-time').textContent();
    const newest = await firstTime();
    await page.getByRole('button', { name: `Sort ${TIME_FIELD} ascending` }).click();
    await until('sort=asc in the URL', () => new URL(page.url()).searchParams.get('sort') === 'asc');
    await expectCount(EVENTS, 'ascending');
    const oldest = await es('POST', `/${PATTERN}/_search`, { size: 1, sort: [{ [TIME_FIELD]: 'asc' }] });
    const oldestMs = Date.parse(oldest.hits.hits[0]._source[TIME_FIELD]);
    await until('the oldest event first', async () => (await firstTime()) !== newest);
    const shown = await page.evaluate(
      ([sel, ms]) => {
        const d = new Date(ms);
        const pad = (n, w = 2) => String(n).padStart(w, '0');
        const expected = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
        return { text: document.querySelector(sel).querySelector('td.col-time').textContent, expected };
      },
      [DOC_ROWS, oldestMs],
    );
    assert.ok(shown.text.endsWith(shown.expected), `first row ${shown.text} is the oldest event (${shown.expected})`);
    await screenshot('sort-asc');
    await page.getByRole('button', { name: `Sort ${TIME_FIELD} descending` }).click();
    await until('sort=desc in the URL', () => new URL(page.url()).searchParams.get('sort') === 'desc');
    await until('the newest event first again', async () => (await firstTime()) === newest);
  });

  test('scrolling loads past 10,000 documents with searchAfter', async () => {
    // Test-only: bigger pages (the UI's advanced setting) so 12,000 rows load in a few requests.
    await page.evaluate(() => localStorage.setItem('sluice:discover:pageSize', '2000'));
    await page.getByRole('button', { name: /^(Refresh|Update)$/ }).click();
    await expectCount(EVENTS, 'all events');
    const more = loadMore();
    await until('more than 10,000 rows', async () => {
      const n = await docRows().count();
      if (n > 10_000) return true;
      await page.locator(`${DOC_ROWS}:last-child`).scrollIntoViewIfNeeded();
      if ((await more.count()) > 0 && (await more.isEnabled())) await clickLoadMore(more);
      return false;
    }, { timeout: 120_000, every: 250 });
    // Newest first all the way down.
    const times = await page.evaluate(() => {
      const rows = document.querySelectorAll('table[aria-label="Documents"] > tbody > tr.doc-row');
      return [rows[0], rows[9_999], rows[rows.length - 1]].map((r) => r.querySelector('td.col-time').textContent);
    });
    assert.ok(times[0] >= times[1] && times[1] >= times[2], `sorted descending: ${times}`);
    await screenshot('past-10000');
    await page.evaluate(() => localStorage.removeItem('sluice:discover:pageSize'));
  });

  test('the copied URL opens the same view in a new page', async () => {
    await submitQuery('level:ERROR');
    const count = await settledCount();
    const firstRows = await docRows().evaluateAll((rows) => rows.slice(0, 5).map((r) => r.textContent));
    const other = await page.context().newPage();
    try {
      await other.goto(page.url());
      const otherHits = other.getByRole('status', { name: 'Hits', exact: true });
      await until('the same count in the new page', async () => (await otherHits.getAttribute('data-loading')) === 'false' && Number(await otherHits.getAttribute('data-count')) === count);
      const otherRows = await other.locator(DOC_ROWS).evaluateAll((rows) => rows.slice(0, 5).map((r) => r.textContent));
      assert.deepEqual(otherRows, firstRows);
      assert.equal(await other.getByRole('searchbox', { name: 'Search', exact: true }).inputValue(), 'level:ERROR');
      await other.screenshot({ path: join(OUT, 'copied-url.png') });
    } finally {
      await other.close();
    }
  });

  test('with a refresh interval the page follows new events (live mode)', async () => {
    const before = await settledCount();
    await page.getByRole('combobox', { name: 'Refresh every' }).selectOption({ label: '5 seconds' });
    assert.equal(new URL(page.url()).searchParams.get('refresh'), '5s');
    const event = { [TIME_FIELD]: new Date().toISOString(), level: 'ERROR', message: 'Error during e2e by user1', user: 'user1', action: 'e2e' };
    const index = `python-logs-${event[TIME_FIELD].slice(0, 10).replace(/-/g, '.')}`;
    await es('POST', `/${index}/_doc`, event);
    await es('POST', `/${index}/_refresh`);
    await expectCount(before + 1, 'live refresh');
    await page.getByRole('combobox', { name: 'Refresh every' }).selectOption({ label: 'Off' });
    await screenshot('live');
  });

  test('Discover passes axe-core WCAG 2 A/AA checks with a row, a field and the data table open', async () => {
    await page.getByRole('region', { name: 'Fields', exact: true }).getByRole('button', { name: 'level', exact: true }).click();
    await docRows().first().getByRole('button', { name: 'Toggle details' }).click();
    await page.getByRole('button', { name: 'Show data table' }).click();
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    assert.deepEqual(violations, []);
    await page.getByRole('button', { name: 'Hide data table' }).click();
    await docRows().first().getByRole('button', { name: 'Toggle details' }).click();
  });

  test('at 800 px wide the page does not scroll sideways', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    await until('layout at 800 px', () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await page.getByRole('button', { name: 'Show fields' }).waitFor();
    await screenshot('800px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a data view matching no index yet says so, and finds the index once it exists', async () => {
    const previous = { url: page.url(), count: await settledCount() };
    const created = await fetch(uiUrl('/api/data_views'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'late-logs-*', timeField: TIME_FIELD }),
    }).then((r) => r.json());
    assert.match(created.warning, /late-logs-\*/);
    await page.goto(uiUrl(`/app/discover?dv=${encodeURIComponent(created.data_view.id)}&from=now-7d&to=now`));
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'No index matches late-logs-*' }).waitFor();
    await screenshot('no-index');
    await es('POST', '/late-logs-1/_doc', { [TIME_FIELD]: new Date().toISOString(), message: 'late' });
    await es('POST', '/late-logs-1/_refresh');
    await until('the index to be found', async () => (await alert.count()) === 0, { timeout: 30_000 });
    await expectCount(1, 'late-logs-*');
    await page.goto(previous.url);
    await expectCount(previous.count, 'back to python-logs-*');
  });

  test('the store going away shows the error; its return recovers the page without a reload', async () => {
    await page.evaluate(() => {
      window.__sluiceE2eNoReload = true;
    });
    const expected = await settledCount();
    await kill(store);
    await page.getByRole('button', { name: /^(Refresh|Update)$/ }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    assert.match(await alert.textContent(), /backend|reach/i);
    await screenshot('store-down');
    await startStore();
    await until('the page to recover', async () => (await page.getByRole('alert').count()) === 0 && (await hits().count()) > 0, { timeout: 60_000 });
    await expectCount(expected, 'after recovery');
    assert.equal(await page.evaluate(() => window.__sluiceE2eNoReload), true, 'the page was not reloaded');
    await screenshot('recovered');
  });
});
