import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, type DiscoverState, filterLabel, filterValue, keepIdentity, stateToUrl, urlToState } from './state';

function roundTrip(state: DiscoverState): void {
  const url = stateToUrl(state);
  expect(urlToState(url), url).toEqual(state);
  // And through a real URL object, as the browser hands it over.
  expect(urlToState(new URL(`http://x/app/discover${url}`).search)).toEqual(state);
}

describe('stateToUrl / urlToState', () => {
  it('round-trips the default state', () => {
    roundTrip({ ...DEFAULT_STATE });
  });

  it('round-trips every field, including awkward text', () => {
    roundTrip({
      dv: 'b4f1-9c',
      query: 'level:ERROR and message:"a & b=c?d#e" and user:user1',
      language: 'lucene',
      from: '2026-12-04T10:00:00.000Z',
      to: 'now/d',
      refresh: '10s',
      filters: [
        { field: 'level', value: 'ERROR', negate: false, disabled: false },
        { field: 'duration', value: 1.5, negate: true, disabled: true },
        { field: 'ok', value: false, negate: false, disabled: false },
        { field: 'extra.user', value: null, negate: false, disabled: false, exists: true },
        { field: 'message', value: 'comma, in "value" +%20', negate: false, disabled: false },
      ],
      columns: ['level', 'message', 'extra.duration'],
      sort: 'asc',
    });
    roundTrip({ ...DEFAULT_STATE, query: '   ', from: 'now-7d', refresh: '1m' });
    roundTrip({ ...DEFAULT_STATE, query: 'ünïcødé ✓ %', refresh: '5s' });
  });

  it('writes the keys of the API contract', () => {
    const url = stateToUrl({
      ...DEFAULT_STATE,
      dv: 'id1',
      query: 'a:b',
      filters: [{ field: 'user', value: 'u1', negate: false, disabled: false }],
      columns: ['a', 'b'],
    });
    expect([...new URLSearchParams(url).keys()]).toEqual(['dv', 'q', 'lang', 'from', 'to', 'refresh', 'f', 'cols', 'sort']);
    expect(new URLSearchParams(url).get('cols')).toBe('a,b');
    expect(JSON.parse(new URLSearchParams(url).get('f')!)).toEqual([
      { field: 'user', value: 'u1', negate: false, disabled: false },
    ]);
  });

  it('gives defaults for missing or malformed keys', () => {
    expect(urlToState('')).toEqual(DEFAULT_STATE);
    expect(urlToState('?lang=sql&sort=up&refresh=2s&f=not-json&cols=,,')).toEqual(DEFAULT_STATE);
    expect(urlToState('?f={"field":"a"}').filters).toEqual([]);
    expect(urlToState('?f=[{"field":"a"},{"value":"x"},{"field":"b","value":{"o":1}},7]').filters).toEqual([]);
    expect(urlToState('?f=[{"field":"a","value":"x","negate":"yes"}]').filters).toEqual([
      { field: 'a', value: 'x', negate: false, disabled: false },
    ]);
  });
});

describe('filterLabel', () => {
  it('reads like the pill', () => {
    expect(filterLabel({ field: 'level', value: 'ERROR', negate: false, disabled: false })).toBe('level: ERROR');
    expect(filterLabel({ field: 'level', value: 'ERROR', negate: true, disabled: false })).toBe('NOT level: ERROR');
    expect(filterLabel({ field: 'u', value: null, negate: false, disabled: false, exists: true })).toBe('u: exists');
  });
});

describe('filterValue', () => {
  const field = (type: 'number' | 'boolean' | 'string') => ({ name: 'x', type, esTypes: [], searchable: true, aggregatable: true });
  it('types numbers and booleans by the field, keeps the rest as text', () => {
    expect(filterValue(field('number'), '1.5')).toBe(1.5);
    expect(filterValue(field('number'), 'abc')).toBe('abc');
    expect(filterValue(field('number'), ' ')).toBe(' ');
    expect(filterValue(field('boolean'), 'true')).toBe(true);
    expect(filterValue(field('boolean'), 'yes')).toBe('yes');
    expect(filterValue(field('string'), '42')).toBe('42');
    expect(filterValue(undefined, '42')).toBe('42');
  });
});

describe('keepIdentity', () => {
  it('reuses equal arrays and takes changed ones', () => {
    const prev = urlToState('?cols=a,b&f=[{"field":"x","value":1,"negate":false,"disabled":false}]&q=one');
    const same = keepIdentity(prev, urlToState('?cols=a,b&f=[{"field":"x","value":1,"negate":false,"disabled":false}]&q=two'));
    expect(same.query).toBe('two');
    expect(same.columns).toBe(prev.columns);
    expect(same.filters).toBe(prev.filters);
    const changed = keepIdentity(prev, urlToState('?cols=b,a&q=one'));
    expect(changed.columns).toEqual(['b', 'a']);
    expect(changed.filters).toEqual([]);
    expect(keepIdentity(null, prev)).toBe(prev);
  });
});
