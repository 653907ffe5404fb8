import { describe, expect, it } from 'vitest';
import { barData, brushToRange, histogramOption } from './histogram';
import { formatNumber, formatTime } from './format';

const M = 60_000;

describe('histogramOption', () => {
  const buckets = [
    { key: 0, count: 3 },
    { key: 30 * M, count: 0 },
    { key: 60 * M, count: 1234 },
  ];
  const option = histogramOption({ buckets, intervalMs: 30 * M, from: 0, to: 90 * M, color: '#0061a6', textColor: '#343741' });

  it('draws one bar per bucket, centred in its interval, over the whole range', () => {
    const series = option.series as Array<{ type: string; data: unknown }>;
    expect(series).toHaveLength(1);
    expect(series[0]!.type).toBe('bar');
    expect(series[0]!.data).toEqual([[15 * M, 3], [45 * M, 0], [75 * M, 1234]]);
    expect(option.xAxis).toMatchObject({ type: 'time', min: 0, max: 90 * M });
  });

  it('brushes along x only, one selection at a time', () => {
    expect(option.brush).toMatchObject({ xAxisIndex: 0, brushType: 'lineX', brushMode: 'single' });
  });

  it('tooltips the bucket start and count', () => {
    const formatter = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    expect(formatter([{ value: [75 * M, 1234] }])).toBe(`${formatTime(60 * M)}<br>1,234 hits`);
  });
});

describe('barData', () => {
  it('is empty for no buckets', () => {
    expect(barData([], 1000)).toEqual([]);
  });
});

describe('brushToRange', () => {
  it('orders, rounds and clamps the brushed span', () => {
    expect(brushToRange([200.4, 100.6], 0, 1000)).toEqual({ from: 101, to: 200 });
    expect(brushToRange([-50, 2000], 0, 1000)).toEqual({ from: 0, to: 1000 });
    expect(brushToRange([5, 5], 0, 1000)).toBeNull();
    expect(brushToRange([], 0, 1000)).toBeNull();
  });
});

describe('format', () => {
  it('groups numbers and writes Kibana times', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatTime(Date.UTC(2026, 11, 4, 15, 7, 3, 5))).toBe('Dec 4, 2026 @ 15:07:03.005');
  });
});
