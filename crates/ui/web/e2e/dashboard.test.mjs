// End-to-end: Visualize and Dashboard against the real binaries (sluice-store, sluice ui) in
// Debian's Chromium through playwright-core. Run from crates/ui/web with
//
//   SLUICE_BIN_DIR=/work/main/target/debug node --test e2e/dashboard.test.mjs
//
// 6,000 generated events are indexed into sluice-store; every number the test checks in a data
// table is recomputed by brute force over those same events (e2e/brute.mjs), never asked of the
// backend. The browser runs in UTC (sluice-store's date histograms take UTC and fixed offsets
// only). Screenshots of each step go to $SLUICE_E2E_OUT (default <repo>/target/ui-e2e/), named
// dashboard-NN-step.png.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { checkTable, filterPredicate, kql, timeOf } from './brute.mjs';
import { CHROMIUM, killAll, OUT, startStack, until } from './harness.mjs';

const EVENTS = 6_000;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let stack = null;
let browser = null;
let page = null;
/** Exceptions the page threw since the last test ended. */
const pageErrors = [];
let shot = 0;
let range = null; // the whole data set's time range, ISO

async function screenshot(name) {
  shot += 1;
  await page.screenshot({ path: join(OUT, `dashboard-${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** The events the page's global state selects (time range from the URL, query and filters). */
function selected() {
  const p = new URL(page.url()).searchParams;
  const from = Date.parse(p.get('from'));
  const to = Date.parse(p.get('to'));
  assert.ok(Number.isFinite(from) && Number.isFinite(to), `absolute times in the URL: ${page.url()}`);
  const filters = JSON.parse(p.get('f') ?? '[]').filter((f) => !f.disabled);
  const q = kql(p.get('q') ?? '');
  return stack.events.filter((e) => timeOf(e) >= from && timeOf(e) <= to && q(e) && filters.every((f) => filterPredicate(f)(e)));
}

/** A table's header cells and body rows, as text. */
async function readTable(table) {
  return table.evaluate((t) => ({
    headers: [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim()).filter((h) => h !== 'Filter'),
    rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].filter((td) => !td.querySelector('button')).map((td) => td.textContent)),
  }));
}

/** Waits until a shown table agrees with the brute force over the selected events. */
async function expectTable(spec, table, what) {
  let last = null;
  await until(`${what}: the data table agrees with the events`, async () => {
    if ((await table.count()) === 0) return false;
    const shown = await readTable(table);
    last = checkTable(spec, shown, selected());
    return last.length === 0 ? shown : false;
  }, { timeout: 30_000 }).catch(async (e) => {
    await screenshot(`failed-${what.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    const seen = last === null ? `no table; the page shows: ${(await page.locator('main').textContent()).slice(0, 600)}` : last.slice(0, 8).join('\n');
    throw new Error(`${e.message}\n${seen}`);
  });
  return readTable(table);
}

// --- the editor ------------------------------------------------------------------------------------

const editor = () => page.getByRole('form', { name: 'Visualization editor' });
const preview = () => page.getByRole('region', { name: 'Preview' });
const group = (name) => editor().getByRole('group', { name: new RegExp(`^${name}\\b`) });

async function newVis(type) {
  await page.goto(stack.uiUrl(`/app/visualize/create?type=${type}&from=${range.from}&to=${range.to}`));
  await editor().waitFor();
}

/** The spec the editor holds, as it sends it (read from its own request, so the brute force
 * checks the visualization that was built, with the server's defaults filled in where unset). */
async function lastSpec() {
  return page.evaluate(() => window.__sluiceLastVisSpec);
}

async function previewTable(type) {
  if (type !== 'table') {
    const show = preview().getByRole('button', { name: 'Show data table' });
    await show.click();
  }
  return preview().getByRole('table', { name: 'New visualization data' });
}

// --- set-up and tear-down ---------------------------------------------------------------------------

before(async () => {
  // This run's screenshots only (numbers shift when steps are added).
  if (existsSync(OUT)) for (const f of readdirSync(OUT)) if (/^dashboard-.*\.png$/.test(f)) rmSync(join(OUT, f));
  stack = await startStack({ count: EVENTS, seed: 11, log: 'dashboard' });
  const times = stack.events.map(timeOf);
  range = { from: new Date(Math.min(...times) - 60_000).toISOString(), to: new Date(Math.max(...times) + 60_000).toISOString() };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  // Every spec the editor sends, for the brute force to read (test instrumentation only).
  await context.addInitScript(() => {
    const original = window.fetch;
    window.fetch = (input, init) => {
      if (String(input).endsWith('/api/vis/data') && init?.body) window.__sluiceLastVisSpec = JSON.parse(init.body).spec;
      return original(input, init);
    };
  });
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
    await killAll();
    stack?.cleanup();
  }
});

// --- the steps --------------------------------------------------------------------------------------

describe('Visualize: each chart type built in the editor shows the numbers of the events', () => {
  test('pie: count by user', async () => {
    await newVis('pie');
    await group('Bucket 1').getByRole('combobox', { name: 'Field' }).selectOption('user.keyword');
    await until('the field in the request', async () => (await lastSpec())?.buckets?.[0]?.field === 'user.keyword');
    await expectTable(await lastSpec(), await previewTable('pie'), 'pie');
    await preview().getByRole('button', { name: 'Show chart' }).click();
    await preview().locator('.vis-canvas[data-ready="true"]').waitFor();
    const figure = preview().getByRole('figure');
    const described = await figure.evaluate((f) => document.getElementById(f.getAttribute('aria-describedby')).textContent);
    assert.match(described, /^Pie chart .* of Count: user\d+ [\d,]+ \(\d+%\)/);
    await screenshot('pie');
  });

  test('vertical bar: count per hour split by level, stacked', async () => {
    await newVis('bar');
    await group('Bucket 1').getByLabel('Interval').fill('1h');
    await editor().getByRole('button', { name: 'Add split series' }).click();
    await group('Bucket 2').getByRole('combobox', { name: 'Field' }).selectOption('level.keyword');
    await until('the split in the request', async () => (await lastSpec())?.buckets?.[1]?.field === 'level.keyword');
    const table = await previewTable('bar');
    const shown = await expectTable(await lastSpec(), table, 'bar');
    const total = shown.rows.reduce((a, r) => a + Number(r[2].replace(/,/g, '')), 0);
    assert.equal(total, selected().length, 'the stacked bars add up to every event');
    await preview().getByRole('button', { name: 'Show chart' }).click();
    assert.ok((await preview().getByRole('list', { name: /legend$/ }).getByRole('button').count()) >= 2, 'a legend item per level');
    await screenshot('bar');
  });

  test('horizontal bar: average duration per action', async () => {
    await newVis('hbar');
    await group('Bucket 1').getByRole('combobox', { name: 'Field' }).selectOption('action.keyword');
    await group('Bucket 1').getByRole('spinbutton', { name: 'Size' }).fill('10');
    await group('Metric 1').getByRole('combobox', { name: 'Aggregation' }).selectOption('avg');
    await group('Metric 1').getByRole('combobox', { name: 'Field' }).selectOption('duration');
    await until('avg duration in the request', async () => (await lastSpec())?.metrics?.[0]?.type === 'avg' && (await lastSpec()).buckets[0].size === 10);
    await expectTable(await lastSpec(), await previewTable('hbar'), 'hbar');
    await screenshot('hbar');
  });

  test('line: max duration every 3 hours', async () => {
    await newVis('line');
    await group('Bucket 1').getByLabel('Interval').fill('3h');
    await group('Metric 1').getByRole('combobox', { name: 'Aggregation' }).selectOption('max');
    await group('Metric 1').getByRole('combobox', { name: 'Field' }).selectOption('duration');
    await until('the request', async () => (await lastSpec())?.metrics?.[0]?.type === 'max' && (await lastSpec()).buckets[0].interval === '3h');
    await expectTable(await lastSpec(), await previewTable('line'), 'line');
    await screenshot('line');
  });

  test('area: sum of duration every 6 hours', async () => {
    await newVis('area');
    await group('Bucket 1').getByLabel('Interval').fill('6h');
    await group('Metric 1').getByRole('combobox', { name: 'Aggregation' }).selectOption('sum');
    await group('Metric 1').getByRole('combobox', { name: 'Field' }).selectOption('duration');
    await until('the request', async () => (await lastSpec())?.metrics?.[0]?.type === 'sum' && (await lastSpec()).buckets[0].interval === '6h');
    await expectTable(await lastSpec(), await previewTable('area'), 'area');
    await screenshot('area');
  });

  test('metric: count, unique users, min, max, median and the 95th percentile of duration', async () => {
    await newVis('metric');
    const add = async (n, type, field) => {
      await editor().getByRole('button', { name: 'Add metric' }).click();
      await group(`Metric ${n}`).getByRole('combobox', { name: 'Aggregation' }).selectOption(type);
      if (field) await group(`Metric ${n}`).getByRole('combobox', { name: 'Field' }).selectOption(field);
    };
    await add(2, 'cardinality', 'user.keyword');
    await add(3, 'min', 'duration');
    await add(4, 'max', 'duration');
    await add(5, 'median', 'duration');
    await add(6, 'percentiles', 'duration');
    await group('Metric 6').getByRole('textbox', { name: 'Percents' }).fill('95');
    await until('six metrics in the request', async () => (await lastSpec())?.metrics?.length === 6 && (await lastSpec()).metrics[5].percents?.join() === '95');
    await preview().locator('.vis-metric').first().waitFor();
    await screenshot('metric');
    await expectTable(await lastSpec(), await previewTable('metric'), 'metric');
  });

  test('data table: rows by level and duration range', async () => {
    await newVis('table');
    await group('Bucket 1').getByRole('combobox', { name: 'Field' }).selectOption('level.keyword');
    await editor().getByRole('button', { name: 'Add split rows' }).click();
    await group('Bucket 2').getByRole('combobox', { name: 'Aggregation' }).selectOption('range');
    await group('Bucket 2').getByRole('combobox', { name: 'Field' }).selectOption('duration');
    await until('the range in the request', async () => (await lastSpec())?.buckets?.[1]?.type === 'range');
    await expectTable(await lastSpec(), await previewTable('table'), 'table by level and range');
    await screenshot('table-range');
  });

  test('data table: histogram of duration under KQL filters buckets', async () => {
    await newVis('table');
    await group('Bucket 1').getByRole('combobox', { name: 'Aggregation' }).selectOption('filters');
    await group('Bucket 1').getByRole('group', { name: 'Filter 1' }).getByRole('textbox', { name: 'KQL' }).fill('level:ERROR');
    await group('Bucket 1').getByRole('button', { name: 'Add filter' }).click();
    await group('Bucket 1').getByRole('group', { name: 'Filter 2' }).getByRole('textbox', { name: 'KQL' }).fill('level:INFO');
    await editor().getByRole('button', { name: 'Add split rows' }).click();
    await group('Bucket 2').getByRole('combobox', { name: 'Aggregation' }).selectOption('histogram');
    await group('Bucket 2').getByRole('combobox', { name: 'Field' }).selectOption('duration');
    await group('Bucket 2').getByRole('spinbutton', { name: 'Minimum interval' }).fill('0.5');
    await until('the request', async () => {
      const s = await lastSpec();
      return s?.buckets?.[1]?.histogramInterval === 0.5 && s.buckets[0].filters?.[1]?.query === 'level:INFO';
    });
    await expectTable(await lastSpec(), await previewTable('table'), 'table by filters and histogram');
    await screenshot('table-histogram');
  });

  test('heat map: hour of day × day of week', async () => {
    await newVis('heatmap');
    const table = await previewTable('heatmap');
    await expectTable(await until('the spec', lastSpec), table, 'heat map');
    const shown = await readTable(table);
    assert.equal(shown.rows.reduce((a, r) => a + Number(r[2].replace(/,/g, '')), 0), selected().length);
    await preview().getByRole('button', { name: 'Show chart' }).click();
    await preview().locator('.vis-canvas[data-ready="true"]').waitFor();
    await screenshot('heatmap');
  });

  test('save, rename and delete a visualization', async () => {
    await newVis('pie');
    await until('a result', async () => (await preview().getByRole('figure').count()) > 0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Title' }).fill('E2E pie');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await until('the edit URL', () => /\/app\/visualize\/edit\//.test(page.url()));
    await page.getByRole('heading', { name: 'E2E pie' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Visualize' }).click();
    const list = page.getByRole('table', { name: 'Visualizations' });
    await list.getByRole('link', { name: 'E2E pie' }).waitFor();
    await page.getByRole('button', { name: 'Rename E2E pie' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Title' }).fill('E2E donut');
    await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await list.getByRole('link', { name: 'E2E donut' }).waitFor();
    await screenshot('visualize-list');
    await page.getByRole('button', { name: 'Delete E2E donut' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await until('the row to go', async () => (await list.getByRole('link', { name: 'E2E donut' }).count()) === 0);
  });
});

describe('Dashboard: the tutorial\'s "Python logs"', () => {
  let specs = null; // title → spec of the dashboard's visualizations

  const panel = (title) => page.getByRole('region', { name: title, exact: true });

  async function checkPanels(what) {
    for (const [title, spec] of specs) {
      const p = panel(title);
      const show = p.getByRole('button', { name: 'Show data table' });
      if ((await show.count()) > 0) await show.click();
      await expectTable(spec, p.getByRole('table', { name: `${title} data` }), `${what}: ${title}`);
    }
  }

  async function showCharts() {
    for (const [title] of specs) {
      const back = panel(title).getByRole('button', { name: 'Show chart' });
      if ((await back.count()) > 0) await back.click();
    }
  }

  test('shows the three tutorial charts and the latest errors with the numbers of the events', async () => {
    const dash = await stack.ui('GET', '/api/saved_objects/dashboard/python-logs');
    const vis = (await stack.ui('GET', '/api/saved_objects?type=visualization')).saved_objects;
    specs = new Map(
      dash.attributes.panels
        .filter((p) => p.type === 'visualization')
        .map((p) => {
          const v = vis.find((o) => o.id === p.ref);
          return [p.title ?? v.attributes.title, v.attributes.spec];
        }),
    );
    assert.deepEqual([...specs.values()].map((s) => s.type).sort(), ['bar', 'bar', 'pie']);
    await page.goto(stack.uiUrl(`/app/dashboards/view/python-logs?from=${range.from}&to=${range.to}`));
    for (const title of specs.keys()) await panel(title).locator('.vis').waitFor();
    await until('every panel rendered', async () => (await page.locator('[data-panel-state="rendered"]').count()) === dash.attributes.panels.length);
    await screenshot('python-logs');
    await checkPanels('default dashboard');
    const search = dash.attributes.panels.find((p) => p.type === 'search');
    assert.ok(search, 'a saved search panel');
    const errors = selected().filter((e) => e.level === 'ERROR');
    const rows = panel((await stack.ui('GET', `/api/saved_objects/search/${search.ref}`)).attributes.title).getByRole('table').locator('tbody tr');
    await until('the latest errors', async () => (await rows.count()) === Math.min(50, errors.length));
    await showCharts();
  });

  test('clicking a pie slice adds a filter and every other panel follows', async () => {
    const [pieTitle] = [...specs].find(([, s]) => s.type === 'pie');
    const canvas = panel(pieTitle).locator('.vis-canvas[data-ready="true"]');
    await canvas.waitFor();
    const before = selected().length;
    // The first slice (the top term) starts at 12 o'clock and runs clockwise: click half-way along it,
    // between the donut's inner and outer radius (ECharts' radius percentages are of min(w, h) / 2).
    const pieSpec = specs.get(pieTitle);
    const key = pieSpec.buckets[0].field.replace(/\.keyword$/, '');
    const counts = new Map();
    for (const e of selected()) counts.set(e[key], (counts.get(e[key]) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // The slices are the top terms, plus an Other slice (drawn last) when the bucket asks for it.
    const whole = pieSpec.buckets[0].otherBucket ? selected().length : sorted.slice(0, pieSpec.buckets[0].size ?? 5).reduce((a, b) => a + b, 0);
    const share = sorted[0] / whole;
    const box = await canvas.boundingBox();
    const r = (Math.min(box.width, box.height) / 2) * 0.6;
    const angle = Math.PI / 2 - share * Math.PI;
    await page.mouse.click(box.x + box.width / 2 + r * Math.cos(angle), box.y + box.height / 2 - r * Math.sin(angle));
    const filters = await until('a filter in the URL', () => {
      const f = JSON.parse(new URL(page.url()).searchParams.get('f') ?? '[]');
      return f.length === 1 ? f : null;
    });
    assert.equal(filters[0].field, pieSpec.buckets[0].field);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    assert.equal(filters[0].value, top, 'the click hit the top term\'s slice');
    await page.getByRole('list', { name: 'Filters' }).getByText(`${filters[0].field}: ${filters[0].value}`).waitFor();
    assert.ok(selected().length < before, 'the filter selects fewer events');
    await checkPanels('after the slice click');
    await screenshot('slice-filter');
    await showCharts();
    await page.getByRole('button', { name: `Remove filter ${filters[0].field}: ${filters[0].value}` }).click();
    await checkPanels('filter removed');
    await showCharts();
  });

  test('a new time range updates every panel', async () => {
    const times = stack.events.map(timeOf).sort((a, b) => a - b);
    const from = new Date(times[Math.floor(times.length * 0.25)]).toISOString();
    const to = new Date(times[Math.floor(times.length * 0.6)]).toISOString();
    await page.getByRole('textbox', { name: 'Start date' }).fill(from);
    await page.getByRole('textbox', { name: 'End date' }).fill(to);
    await page.getByRole('button', { name: 'Update' }).click();
    await until('the range in the URL', () => new URL(page.url()).searchParams.get('from') === from);
    await checkPanels('new time range');
    await screenshot('time-range');
    await showCharts();
  });

  test('brushing a time chart zooms the time range', async () => {
    const [title] = [...specs].find(([, s]) => s.buckets.some((b) => b.type === 'date_histogram'));
    const canvas = panel(title).locator('.vis-canvas[data-ready="true"]');
    await canvas.waitFor();
    const before = new URL(page.url()).searchParams.get('from');
    const box = await canvas.boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.35, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.65, y, { steps: 8 });
    await page.mouse.up();
    await until('a zoomed range in the URL', () => new URL(page.url()).searchParams.get('from') !== before);
    const p = new URL(page.url()).searchParams;
    assert.ok(Date.parse(p.get('from')) > Date.parse(before) && Date.parse(p.get('to')) > Date.parse(p.get('from')));
    await checkPanels('brushed range');
    await screenshot('brush');
    await showCharts();
  });

  test('a dashboard with a failing panel shows its error in place; the others still render', async () => {
    const broken = await stack.ui('POST', '/api/saved_objects/visualization', {
      // Lucene is parsed by the backend (KQL would be refused when saved): the panel's search fails.
      attributes: { title: 'Broken query', spec: { type: 'bar', dataView: 'python-logs', query: { language: 'lucene', query: 'level:(' }, metrics: [{ id: '1', type: 'count' }], buckets: [], params: {} } },
    });
    const pie = [...specs].find(([, s]) => s.type === 'pie')[0];
    await page.goto(stack.uiUrl(`/app/dashboards/create?from=${range.from}&to=${range.to}`));
    await page.getByRole('button', { name: 'Add panel' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Add Broken query' }).click();
    await dialog.getByRole('button', { name: `Add ${pie}` }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await panel('Broken query').getByRole('alert').waitFor();
    assert.match(await panel('Broken query').getByRole('alert').textContent(), /refused the query|syntax|parse/i);
    await panel(pie).getByRole('button', { name: 'Show data table' }).click();
    await expectTable(specs.get(pie), panel(pie).getByRole('table', { name: `${pie} data` }), 'the pie beside a broken panel');
    await screenshot('failing-panel');

    // Keyboard: move the pie before the broken panel, make it wider; save; reopen.
    const cell = (title) => page.locator('.dash-cell').filter({ has: panel(title) });
    const grid = async (title) => (await cell(title).getAttribute('data-grid')).split(',').map(Number);
    const [bx] = await grid('Broken query');
    assert.equal(bx, 0);
    await page.getByRole('button', { name: `Move panel ${pie}`, exact: true }).focus();
    await page.keyboard.press('ArrowLeft');
    await until('the pie one column left', async () => (await grid(pie))[0] === 23);
    await page.getByRole('button', { name: `Resize panel ${pie}`, exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    await until('the pie one row taller', async () => (await grid(pie))[3] === 16);
    // A panel's own title.
    await page.getByRole('button', { name: 'Panel title Broken query', exact: true }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Title' }).fill('Failing panel');
    await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await panel('Failing panel').getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Title' }).fill('E2E dashboard');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await until('the view URL', () => /\/app\/dashboards\/view\//.test(page.url()));
    await page.reload();
    await until('the saved layout', async () => (await grid(pie)).join() === '23,0,24,16');
    await panel('Failing panel').getByRole('alert').waitFor();

    // Full screen and back (Escape).
    await page.getByRole('button', { name: `Full screen ${pie}`, exact: true }).click();
    await until('only the pie', async () => (await page.getByRole('region').count()) === 1);
    await screenshot('full-screen');
    await page.keyboard.press('Escape');
    await until('both panels again', async () => (await page.locator('.dash-panel').count()) === 2);
    await stack.ui('DELETE', `/api/saved_objects/visualization/${broken.id}`);
  });

  test('the store going away shows the error in place; its return recovers the dashboard without a reload', async () => {
    await page.goto(stack.uiUrl(`/app/dashboards/view/python-logs?from=${range.from}&to=${range.to}`));
    await until('every panel rendered', async () => (await page.locator('[data-panel-state="rendered"]').count()) === 4);
    await page.evaluate(() => {
      window.__sluiceE2eNoReload = true;
    });
    await stack.stopStore();
    await page.getByRole('button', { name: /^(Refresh|Update)$/ }).click();
    await until('the outage shown', async () => (await page.getByRole('alert').count()) > 0);
    assert.match(await page.getByRole('alert').first().textContent(), /backend|reach/i);
    await screenshot('store-down');
    await stack.startStore();
    await until('the dashboard to recover', async () => (await page.getByRole('alert').count()) === 0 && (await page.locator('[data-panel-state="rendered"]').count()) === 4, { timeout: 60_000 });
    await checkPanels('after recovery');
    assert.equal(await page.evaluate(() => window.__sluiceE2eNoReload), true, 'the page was not reloaded');
    await showCharts();
  });

  test('the dashboard passes axe-core WCAG 2 A/AA checks with a data table open', async () => {
    await page.goto(stack.uiUrl(`/app/dashboards/view/python-logs?from=${range.from}&to=${range.to}`));
    await until('every panel rendered', async () => (await page.locator('[data-panel-state="rendered"]').count()) === 4);
    const [first] = [...specs.keys()];
    await panel(first).getByRole('button', { name: 'Show data table' }).click();
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    assert.deepEqual(violations, []);
  });

  test('at 800 px wide the dashboard and the editor do not scroll sideways', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    await until('layout at 800 px', () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await screenshot('dashboard-800px');
    await newVis('bar');
    await preview().getByRole('figure').waitFor();
    await until('layout at 800 px', () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await screenshot('editor-800px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
