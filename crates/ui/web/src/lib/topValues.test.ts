import { describe, expect, it } from 'vitest';
import { fieldValues, flattenSource, formatPercent, topValues } from './topValues';

describe('flattenSource', () => {
  it('flattens nested objects and spreads arrays', () => {
    const flat = flattenSource({
      '@timestamp': '2026-12-04T12:00:00Z',
      level: 'ERROR',
      extra: { duration: 1.5, user: { name: 'u1' }, tags: ['a', 'b'] },
      list: [{ x: 1 }, { x: 2 }, 3],
      'dotted.key': true,
      empty: null,
      nothing: [],
    });
    expect(Object.fromEntries(flat)).toEqual({
      '@timestamp': ['2026-12-04T12:00:00Z'],
      level: ['ERROR'],
      'extra.duration': [1.5],
      'extra.user.name': ['u1'],
      'extra.tags': ['a', 'b'],
      'list.x': [1, 2],
      list: [3],
      'dotted.key': [true],
      empty: [null],
    });
  });

  it('reads one field', () => {
    expect(fieldValues({ a: { b: [1, [2, 3]] } }, 'a.b')).toEqual([1, 2, 3]);
    expect(fieldValues({ a: 1 }, 'b')).toEqual([]);
    expect(fieldValues(null, 'a')).toEqual([]);
  });
});

describe('topValues', () => {
  const sample = [
    { level: 'ERROR', user: 'user1', extra: { tags: ['x', 'y'] } },
    { level: 'INFO', user: 'user2', extra: { tags: ['x'] } },
    { level: 'ERROR', user: 'user1', extra: { tags: ['x', 'x'] } },
    { level: 'WARNING', user: 'user3' },
    { level: 'INFO', user: 'user4', extra: { tags: [] } },
    { level: 'ERROR', user: 'user5' },
    { level: 'DEBUG', user: 'user6' },
    { level: 'CRITICAL', user: 'user7' },
  ];

  it('counts and ranks the values with their share of the sample', () => {
    const top = topValues(sample, 'level');
    expect(top.sampled).toBe(8);
    expect(top.exists).toBe(8);
    expect(top.values).toEqual([
      { value: 'ERROR', count: 3, percent: 37.5 },
      { value: 'INFO', count: 2, percent: 25 },
      { value: 'WARNING', count: 1, percent: 12.5 },
      { value: 'DEBUG', count: 1, percent: 12.5 },
      { value: 'CRITICAL', count: 1, percent: 12.5 },
    ]);
  });

  it('limits to the top 5 (ties in first-seen order)', () => {
    expect(topValues(sample, 'user').values.map((v) => v.value)).toEqual(['user1', 'user2', 'user3', 'user4', 'user5']);
    expect(topValues(sample, 'user', 2).values.map((v) => v.value)).toEqual(['user1', 'user2']);
  });

  it('reads nested fields and arrays, counting a document once per value', () => {
    const top = topValues(sample, 'extra.tags');
    expect(top.exists).toBe(3);
    expect(top.values).toEqual([
      { value: 'x', count: 3, percent: 37.5 },
      { value: 'y', count: 1, percent: 12.5 },
    ]);
  });

  it('keeps types apart and handles an empty sample', () => {
    expect(topValues([{ a: 1 }, { a: '1' }, { a: 1 }], 'a').values).toEqual([
      { value: 1, count: 2, percent: (2 * 100) / 3 },
      { value: '1', count: 1, percent: 100 / 3 },
    ]);
    expect(topValues([], 'a')).toEqual({ values: [], exists: 0, sampled: 0 });
    expect(topValues([{ b: 1 }], 'a')).toEqual({ values: [], exists: 0, sampled: 1 });
  });
});

describe('formatPercent', () => {
  it('rounds to one decimal', () => {
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(37.5)).toBe('37.5%');
    expect(formatPercent(100 / 3)).toBe('33.3%');
    expect(formatPercent(0.04)).toBe('<0.1%');
    expect(formatPercent(0)).toBe('0%');
  });
});
