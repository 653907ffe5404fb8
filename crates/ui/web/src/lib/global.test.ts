import { expect, test } from 'vitest';
import { addFilters, dataRequest, globalToUrl, urlToGlobal } from './global';

test('global state round-trips through the URL with the page keys first', () => {
  const g = { query: 'level:ERROR', language: 'kuery' as const, from: 'now-24h', to: 'now', refresh: '5s' as const, filters: [{ field: 'user', value: 'user1', negate: false, disabled: false }] };
  const url = globalToUrl(g, { type: 'pie', id: null });
  expect(url.startsWith('?type=pie&q=level%3AERROR')).toBe(true);
  expect(urlToGlobal(url)).toEqual(g);
});

test('missing keys take the saved defaults (a dashboard\'s saved time range), present ones win', () => {
  const g = urlToGlobal('?q=x', { from: 'now-24h', query: 'y', filters: [{ field: 'a', value: 1, negate: false, disabled: false }] });
  expect([g.query, g.from, g.to, g.filters.length]).toEqual(['x', 'now-24h', 'now', 1]);
});

test('addFilters replaces a filter for the same value, re-enabled', () => {
  const a = { field: 'user', value: 'user1', negate: true, disabled: true };
  const b = { field: 'level', value: 'ERROR', negate: false, disabled: false };
  expect(addFilters([a], [{ ...a, negate: false }, b])).toEqual([{ ...a, negate: false, disabled: false }, b]);
});

test('dataRequest resolves date math; an inverted range is no request', () => {
  const now = Date.UTC(2026, 11, 4, 12);
  const g = urlToGlobal('?from=now-1h&to=now');
  expect(dataRequest(g, now)?.timeRange).toEqual({ from: now - 3_600_000, to: now });
  expect(dataRequest({ ...g, from: 'now', to: 'now-1h' }, now)).toBeNull();
});
