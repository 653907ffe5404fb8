import { describe, expect, test } from 'vitest';
import type { VisColumn, VisTable } from '../../api';
import type { Filter } from '../state';
import { brushedRange, describe as describeChart, formatCell, heatModel, legendFilters, metricModel, pieModel, sliceFilters, tableRowFilters, xyClick, xyModel } from './model';
import { heatOption, pieOption, sliceColor, xyOption } from './option';
import { labelColor, OTHER_COLOR, paletteColor } from './palette';
import type { VisSpec } from './spec';

const bucket = (id: string, name: string, format = 'string', bucketType = 'terms'): VisColumn => ({ id, name, kind: 'bucket', format, bucketType, field: name });
const metric = (id: string, name: string): VisColumn => ({ id, name, kind: 'metric', format: 'number' });
const phrase = (field: string, value: string): Filter => ({ field, value, negate: false, disabled: false });
const range = (field: string, gte: number, lt: number): Filter => ({ field, range: { gte, lt }, negate: false, disabled: false });

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 4, 10);

// Levels over time: x = date histogram (1h), split = level.
const levels: VisTable = {
  columns: [bucket('2', '@timestamp', 'date', 'date_histogram'), bucket('3', 'level'), metric('1', 'Count')],
  rows: [
    [T0 + H, 'INFO', 5],
    [T0, 'INFO', 7],
    [T0, 'ERROR', 2],
    [T0 + H, 'WARNING', 1],
  ],
  rowFilters: [
    [range('@timestamp', T0 + H, T0 + 2 * H), phrase('level', 'INFO')],
    [range('@timestamp', T0, T0 + H), phrase('level', 'INFO')],
    [range('@timestamp', T0, T0 + H), phrase('level', 'ERROR')],
    [range('@timestamp', T0 + H, T0 + 2 * H), phrase('level', 'WARNING')],
  ],
  meta: { total: 15, interval: '1h' },
};
const levelsSpec: VisSpec = {
  type: 'bar',
  dataView: 'dv',
  metrics: [{ id: '1', type: 'count' }],
  buckets: [
    { id: '2', role: 'x', type: 'date_histogram', field: '@timestamp', interval: 'auto' },
    { id: '3', role: 'split', type: 'terms', field: 'level', size: 5 },
  ],
  params: { stacked: true, valueLabels: true },
};

describe('xy charts', () => {
  const model = xyModel(levels);

  test('time categories in order, one series per split value, holes as null', () => {
    expect(model.categories).toEqual([T0, T0 + H]);
    expect(model.time).toBe(true);
    expect(model.intervalMs).toBe(H);
    expect(model.series.map((s) => [s.name, s.values])).toEqual([
      ['INFO', [7, 5]],
      ['ERROR', [2, null]],
      ['WARNING', [null, 1]],
    ]);
    expect(model.series.every((s) => !s.other)).toBe(true);
  });

  test('the option stacks bars, one series each in palette order, labels readable on their bar', () => {
    const opt = xyOption(model, { type: 'bar', params: levelsSpec.params, width: 600 });
    const series = opt.series as Array<{ type: string; stack?: string; data: unknown[]; itemStyle: { color: string }; label: { color?: string; show: boolean } }>;
    expect(series.map((s) => [s.type, s.stack, s.data])).toEqual([
      ['bar', 'total', [7, 5]],
      ['bar', 'total', [2, null]],
      ['bar', 'total', [null, 1]],
    ]);
    series.forEach((s, i) => {
      expect(s.itemStyle.color).toBe(paletteColor(i));
      expect(s.label.color).toBe(labelColor(paletteColor(i)));
    });
    expect(opt.brush).toBeDefined();
  });

  test('grouped, horizontal, line and area', () => {
    const grouped = xyOption(model, { type: 'bar', params: { stacked: false }, width: 600 });
    expect((grouped.series as Array<{ stack?: string }>).every((s) => s.stack === undefined)).toBe(true);
    const h = xyOption(model, { type: 'hbar', params: {}, width: 600 });
    expect((h.xAxis as { type: string }).type).toBe('value');
    expect((h.yAxis as { type: string; data: string[] }).data.length).toBe(2);
    const area = xyOption(model, { type: 'area', params: {}, width: 600 });
    expect((area.series as Array<{ type: string; areaStyle?: unknown }>).every((s) => s.type === 'line' && s.areaStyle)).toBe(true);
    const line = xyOption(model, { type: 'line', params: {}, width: 600 });
    expect((line.series as Array<{ areaStyle?: unknown }>).every((s) => s.areaStyle === undefined)).toBe(true);
  });

  test('clicking a time bar zooms to its bucket and filters its series; a legend item filters its series', () => {
    expect(xyClick(levels, model, 1, 0)).toEqual({ filters: [phrase('level', 'ERROR')], time: { from: T0, to: T0 + H } });
    expect(legendFilters(levels, model, 2)).toEqual([phrase('level', 'WARNING')]);
    expect(xyClick(levels, model, 1, 1)).toBeNull();
  });

  test('a brushed span of buckets is their time range', () => {
    expect(brushedRange(model, [1.2, -0.4])).toEqual({ from: T0, to: T0 + 2 * H });
    expect(brushedRange(model, [0, 0])).toEqual({ from: T0, to: T0 + H });
    expect(brushedRange(model, [3])).toBeNull();
  });

  test('several metrics without a split: one series per metric; a terms x axis filters', () => {
    const table: VisTable = {
      columns: [bucket('2', 'action'), metric('1', 'Count'), metric('3', 'Average duration')],
      rows: [['login', 4, 1.5], ['logout', 2, null]],
      rowFilters: [[phrase('action', 'login')], [phrase('action', 'logout')]],
    };
    const m = xyModel(table);
    expect(m.labels).toEqual(['login', 'logout']);
    expect(m.series.map((s) => [s.name, s.values])).toEqual([['Count', [4, 2]], ['Average duration', [1.5, null]]]);
    expect(xyClick(table, m, 1, 0)).toEqual({ filters: [phrase('action', 'login')], time: null });
    expect(describeChart('bar', m, 'Per action')).toBe('Vertical bar chart Per action over 2 action buckets; totals: Count 6, Average duration 1.5.');
  });
});

describe('pie', () => {
  const table: VisTable = {
    columns: [bucket('2', 'user'), bucket('3', 'action'), metric('1', 'Count')],
    rows: [['user1', 'login', 6], ['user1', 'logout', 2], ['__other__', 'login', 2]],
    rowFilters: [
      [phrase('user', 'user1'), phrase('action', 'login')],
      [phrase('user', 'user1'), phrase('action', 'logout')],
      [{ field: 'user', values: ['user1'], negate: true, disabled: false }, phrase('action', 'login')],
    ],
  };
  const model = pieModel(table);

  test('inner ring sums its children; Other is named', () => {
    expect(model.rings.map((r) => r.map((s) => [s.name, s.value, s.parent]))).toEqual([
      [['user1', 8, -1], ['Other', 2, -1]],
      [['login', 6, 0], ['logout', 2, 0], ['login', 2, 1]],
    ]);
  });

  test('outer slices take their parent colour; labels contrast with their slice', () => {
    expect(sliceColor(model, 1, 0)).toBe(paletteColor(0));
    expect(sliceColor(model, 0, 1)).toBe(OTHER_COLOR);
    expect(sliceColor(model, 1, 2)).toBe(OTHER_COLOR);
    const opt = pieOption(model, { type: 'pie', params: { donut: true, valueLabels: true }, width: 400 });
    const series = opt.series as Array<{ radius: string[]; data: Array<{ itemStyle: { color: string }; label: { color: string } }> }>;
    expect(series.map((s) => s.radius)).toEqual([['30%', '55%'], ['55%', '80%']]);
    for (const s of series) for (const d of s.data) expect(d.label.color).toBe(labelColor(d.itemStyle.color));
    const pie = pieOption(model, { type: 'pie', params: { donut: false }, width: 400 });
    expect((pie.series as Array<{ radius: string[] }>)[0]!.radius[0]).toBe('0%');
  });

  test('a slice filters by itself and its parents', () => {
    expect(sliceFilters(table, model, 0, 0)).toEqual([phrase('user', 'user1')]);
    expect(sliceFilters(table, model, 1, 2)).toEqual([{ field: 'user', values: ['user1'], negate: true, disabled: false }, phrase('action', 'login')]);
    expect(tableRowFilters(table, 1)).toEqual([phrase('user', 'user1'), phrase('action', 'logout')]);
  });

  test('the description gives shares', () => {
    expect(describeChart('pie', model, 'Users')).toBe('Pie chart Users of Count: user1 8 (80%), Other 2 (20%).');
  });
});

test('metric tiles, one per row and metric', () => {
  const table: VisTable = { columns: [bucket('2', 'level'), metric('1', 'Count'), metric('3', 'Max duration')], rows: [['ERROR', 1200, 2.5]] };
  expect(metricModel(table).items).toEqual([
    { label: 'ERROR - Count', value: '1,200', row: 0 },
    { label: 'ERROR - Max duration', value: '2.5', row: 0 },
  ]);
});

test('heat map: hour of day × day of week', () => {
  const table: VisTable = {
    columns: [bucket('d', 'Day of week', 'day_of_week'), bucket('h', 'Hour of day', 'hour_of_day'), metric('1', 'Count')],
    rows: [[1, 0, 3], [7, 23, 9]],
  };
  const m = heatModel(table);
  expect(m.cells).toEqual([[0, 0, 3, 0], [23, 6, 9, 1]]);
  expect(m.yLabels[6]).toBe('Sun');
  const opt = heatOption(m, { type: 'heatmap', params: {}, width: 600 });
  expect((opt.visualMap as { max: number }).max).toBe(9);
  expect(formatCell(table.columns[0]!, 3)).toBe('Wednesday');
  expect(formatCell(table.columns[1]!, 7)).toBe('07:00');
});

test('cells: missing, other, dates, numbers', () => {
  expect(formatCell(bucket('2', 'user'), '__missing__')).toBe('Missing');
  expect(formatCell(metric('1', 'Count'), null)).toBe('-');
  expect(formatCell(metric('1', 'Avg'), 1.23456)).toBe('1.235');
  expect(formatCell({ id: 'm', name: 'message', kind: 'metric', format: 'any' }, { a: 1 })).toBe('{"a":1}');
});
