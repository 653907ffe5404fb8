import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, type DiscoverState, type Filter, filterLabel, filterValue, keepIdentity, parseFilterList, sameFilter, stateToUrl, urlToState } from './state';

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
        { field: 'extra.user', negate: false, disabled: false, exists: true },
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
    expect(filterLabel({ field: 'user', values: ['user1', 'user2'], negate: true, disabled: false })).toBe('NOT user: user1, user2');
    expect(filterLabel({ field: 'duration', range: { gte: 0.5, lt: 1 }, negate: false, disabled: false })).toBe('duration: 0.5 to 1');
    expect(filterLabel({ field: 'duration', range: { gte: 2 }, negate: false, disabled: false })).toBe('duration: 2 to +∞');
    expect(filterLabel({ field: '', query: { language: 'kuery', query: 'level:ERROR' }, negate: false, disabled: false })).toBe('level:ERROR');
    expect(filterLabel({ field: '', query: { language: 'kuery', query: 'level:ERROR' }, label: 'errors', negate: true, disabled: false })).toBe('NOT errors');
  });
});

describe('the filter kinds of the API', () => {
  const kinds: Filter[] = [
    { field: 'level', value: 'ERROR', negate: false, disabled: false },
    { field: 'user', values: ['user1', 'user2'], negate: true, disabled: false },
    { field: 'duration', exists: true, negate: true, disabled: false },
    { field: 'duration', range: { gte: 0.5, lt: 1 }, negate: false, disabled: true },
    { field: '', query: { language: 'lucene', query: 'level:ERROR' }, negate: false, disabled: false, label: 'errors' },
  ];
  it('round-trip through the URL', () => {
    roundTrip({ ...DEFAULT_STATE, filters: kinds });
  });
  it('keep only the members of their kind', () => {
    expect(parseFilterList([{ field: 'a', value: null, exists: true, range: { gte: 1, junk: 2 } }])).toEqual([
      { field: 'a', range: { gte: 1 }, negate: false, disabled: false },
    ]);
    expect(parseFilterList([{ field: 'a' }, { value: 1 }, 'x', { field: 'a', values: [{}] }, { query: { query: 'x' } }])).toEqual([
      { field: '', query: { language: 'kuery', query: 'x' }, negate: false, disabled: false },
    ]);
  });
  it('sameFilter ignores negate, disabled and label', () => {
    expect(sameFilter(kinds[1]!, { ...kinds[1]!, negate: false, label: 'x' })).toBe(true);
    expect(sameFilter(kinds[0]!, { ...kinds[0]!, value: 'INFO' })).toBe(false);
    expect(sameFilter(kinds[3]!, { ...kinds[3]!, range: { gte: 0.5, lt: 2 } })).toBe(false);
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
