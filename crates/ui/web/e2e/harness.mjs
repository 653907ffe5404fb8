// Shared by the dashboard end-to-end test (not a test itself: `node --test e2e/` runs *.test.mjs):
// the real binaries of $SLUICE_BIN_DIR, a sluice-store on a free loopback port with a temporary
// data directory, generated events indexed into daily python-logs-YYYY.MM.DD indices, `sluice ui`,
// and polling with a deadline. Every child process is killed when the process exits.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('..', import.meta.url));
export const REPO = resolve(WEB, '../../..');
export const BIN = resolve(process.env.SLUICE_BIN_DIR ?? join(REPO, 'target/debug'));
export const OUT = resolve(process.env.SLUICE_E2E_OUT ?? join(REPO, 'target/ui-e2e'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const TIME_FIELD = '@timestamp';
export const PATTERN = 'python-logs-*';

/** Polls `fn` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function until(what, fn, { timeout = 30_000, every = 100 } = {}) {
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

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts a binary of SLUICE_BIN_DIR; its output goes to $SLUICE_E2E_OUT/<log>.log. */
export function start(name, args, log) {
  const child = spawn(join(BIN, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(join(OUT, `${log}.log`), { flags: 'a' });
  child.stdout.pipe(file, { end: false });
  child.stderr.pipe(file, { end: false });
  child.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export async function kill(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await child.exited;
}

export async function killAll() {
  for (const c of [...children]) await kill(c);
}

/** A sluice-store and `sluice ui` over `count` generated events (returned, parsed). */
export async function startStack({ count, seed, since = '24h', log }) {
  for (const b of ['sluice-store', 'sluice']) {
    assert.ok(existsSync(join(BIN, b)), `${join(BIN, b)} is missing: build with cargo build -p cli -p store, or set SLUICE_BIN_DIR`);
  }
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (set CHROMIUM)`);
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-ui-e2e-'));
  const storePort = await freePort();
  const storeUrl = (path) => `http://127.0.0.1:${storePort}${path}`;
  let store = null;
  const startStore = async () => {
    store = start('sluice-store', ['--data-dir', dataDir, '--listen', `127.0.0.1:${storePort}`, '--disk-threshold-enabled', 'false'], `${log}-store`);
    await until('sluice-store to answer', async () => (await fetch(storeUrl('/'))).ok, { timeout: 60_000 });
  };
  await startStore();

  const es = async (method, path, body, contentType = 'application/json') => {
    const res = await fetch(storeUrl(path), {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  const gen = spawnSync(join(BIN, 'sluice'), ['generate', '--count', String(count), '--profile', 'realistic', '--since', since, '--seed', String(seed), '--format', 'logstash'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(gen.status, 0, `sluice generate failed: ${gen.stderr}`);
  const lines = gen.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, count);
  const events = lines.map((l) => JSON.parse(l));
  for (let i = 0; i < lines.length; i += 2000) {
    const body = lines
      .slice(i, i + 2000)
      .map((l, j) => `${JSON.stringify({ index: { _index: `python-logs-${events[i + j][TIME_FIELD].slice(0, 10).replace(/-/g, '.')}` } })}\n${l}\n`)
      .join('');
    const r = await es('POST', '/_bulk', body, 'application/x-ndjson');
    assert.equal(r.errors, false, `bulk errors: ${JSON.stringify(r.items.find((it) => Object.values(it)[0].error))}`);
  }
  await es('POST', `/${PATTERN}/_refresh`);

  const uiPort = await freePort();
  start('sluice', ['ui', '--es', storeUrl(''), '--listen', `127.0.0.1:${uiPort}`], `${log}-ui`);
  const uiUrl = (path) => `http://127.0.0.1:${uiPort}${path}`;
  await until('sluice ui to answer', async () => (await fetch(uiUrl('/api/status'))).ok, { timeout: 60_000 });

  const ui = async (method, path, body) => {
    const res = await fetch(uiUrl(path), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    events,
    es,
    ui,
    uiUrl,
    /** Kills the store (SIGKILL); `startStore` brings it back on the same port and data. */
    stopStore: () => kill(store),
    startStore,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
