import { describe, expect, test } from 'vitest';
import type { Field } from '../../api';
import {
  addBucket,
  addMetric,
  canAddBucket,
  type DataViewInfo,
  metricLabel,
  moveBucket,
  newSpec,
  parseSpec,
  removeBucket,
  removeMetric,
  setChartType,
  specProblems,
  updateBucket,
  updateMetric,
  validInterval,
  type VisSpec,
} from './spec';

const field = (name: string, type: Field['type'], aggregatable = true): Field => ({ name, type, esTypes: [], searchable: true, aggregatable });
const DV: DataViewInfo = {
  id: 'python-logs',
  timeField: '@timestamp',
  fields: [field('@timestamp', 'date'), field('action', 'string'), field('duration', 'number'), field('level', 'string'), field('message', 'string', false), field('user', 'string')],
};

describe('newSpec', () => {
  test.each([
    ['pie', [['x', 'terms', 'action']]],
    ['bar', [['x', 'date_histogram', '@timestamp']]],
    ['hbar', [['x', 'terms', 'action']]],
    ['line', [['x', 'date_histogram', '@timestamp']]],
    ['area', [['x', 'date_histogram', '@timestamp']]],
    ['table', [['rows', 'terms', 'action']]],
    ['metric', []],
    ['heatmap', []],
  ] as const)('%s starts with a count and %j', (type, buckets) => {
    const spec = newSpec(type, DV);
    expect(spec.metrics).toEqual([{ id: '1', type: 'count' }]);
    expect(spec.buckets.map((b) => [b.role, b.type, b.field])).toEqual(buckets);
    expect(specProblems(spec)).toEqual([]);
  });

  test('a data view without a time field gets a terms x axis for bars', () => {
    const spec = newSpec('bar', { ...DV, timeField: null });
    expect(spec.buckets.map((b) => b.type)).toEqual(['terms']);
  });
});

describe('editing', () => {
  test('metrics get the next free id and a field of a type they take', () => {
    let spec = newSpec('bar', DV);
    spec = addMetric(spec, 'avg', DV);
    spec = addMetric(spec, 'cardinality', DV);
    spec = addMetric(spec, 'percentiles', DV);
    expect(spec.metrics.map((m) => [m.id, m.type, m.field])).toEqual([
      ['1', 'count', undefined],
      ['3', 'avg', 'duration'],
      ['4', 'cardinality', 'action'],
      ['5', 'percentiles', 'duration'],
    ]);
    expect(spec.metrics[3]!.percents).toEqual([50, 95, 99]);
    expect(spec.metrics.map(metricLabel)).toEqual(['Count', 'Average duration', 'Unique count of action', 'Percentiles of duration']);
  });

  test('top_hit sorts by the time field', () => {
    expect(addMetric(newSpec('metric', DV), 'top_hit', DV).metrics[1]).toMatchObject({ type: 'top_hit', sortField: '@timestamp', field: 'action' });
  });

  test('changing a metric type keeps the field when it fits, else picks one', () => {
    let spec = addMetric(newSpec('bar', DV), 'avg', DV);
    spec = updateMetric(spec, '3', { type: 'max' }, DV);
    expect(spec.metrics[1]).toEqual({ id: '3', type: 'max', field: 'duration' });
    spec = updateMetric(spec, '3', { type: 'cardinality', field: 'user' }, DV);
    spec = updateMetric(spec, '3', { type: 'sum' }, DV);
    expect(spec.metrics[1]).toEqual({ id: '3', type: 'sum', field: 'duration' });
  });

  test('a split needs the x axis first; removing the x axis removes the split', () => {
    let spec: VisSpec = newSpec('pie', DV);
    spec = removeBucket(spec, '2');
    expect(canAddBucket(spec, 'split')).toBe(false);
    spec = addBucket(spec, 'terms', 'x', DV);
    expect(canAddBucket(spec, 'x')).toBe(false);
    spec = addBucket(spec, 'terms', 'split', DV);
    expect(spec.buckets.map((b) => [b.id, b.role])).toEqual([['2', 'x'], ['3', 'split']]);
    expect(canAddBucket(spec, 'split')).toBe(false);
    expect(removeBucket(spec, '2').buckets).toEqual([]);
    expect(removeBucket(spec, '3').buckets.map((b) => b.id)).toEqual(['2']);
  });

  test('tables take three row buckets, reordered within the role', () => {
    let spec = newSpec('table', DV);
    spec = addBucket(spec, 'terms', 'rows', DV);
    spec = addBucket(spec, 'histogram', 'rows', DV);
    expect(canAddBucket(spec, 'rows')).toBe(false);
    expect(addBucket(spec, 'terms', 'rows', DV)).toBe(spec);
    spec = moveBucket(spec, '4', -1);
    expect(spec.buckets.map((b) => b.id)).toEqual(['2', '4', '3']);
    expect(moveBucket(spec, '2', -1)).toBe(spec);
  });

  test('removing the metric a terms bucket is ordered by orders it by count; the last metric stays', () => {
    let spec = addMetric(newSpec('table', DV), 'avg', DV);
    spec = updateBucket(spec, '2', { order: { by: '3', dir: 'asc' } }, DV);
    spec = removeMetric(spec, '3');
    expect(spec.buckets[0]!.order).toEqual({ by: '_count', dir: 'asc' });
    expect(removeMetric(spec, '1')).toBe(spec);
  });

  test('changing a bucket type resets its options and keeps a field that fits', () => {
    let spec = newSpec('hbar', DV);
    spec = updateBucket(spec, '2', { field: 'duration' }, DV);
    spec = updateBucket(spec, '2', { type: 'histogram' }, DV);
    expect(spec.buckets[0]).toEqual({ id: '2', role: 'x', type: 'histogram', field: 'duration', histogramInterval: 1 });
    spec = updateBucket(spec, '2', { type: 'date_histogram' }, DV);
    expect(spec.buckets[0]).toEqual({ id: '2', role: 'x', type: 'date_histogram', field: '@timestamp', interval: 'auto' });
  });
});

describe('setChartType', () => {
  test('keeps the buckets it can, in nesting order', () => {
    let bar = addBucket(newSpec('bar', DV), 'terms', 'split', DV);
    bar = addMetric(bar, 'avg', DV);
    const table = setChartType(bar, 'table');
    expect(table.buckets.map((b) => [b.id, b.role])).toEqual([['2', 'rows'], ['3', 'rows']]);
    expect(table.metrics.length).toBe(2);
    const pie = setChartType(table, 'pie');
    expect(pie.buckets.map((b) => [b.id, b.role])).toEqual([['2', 'x'], ['3', 'split']]);
    const metric = setChartType(bar, 'metric');
    expect(metric.buckets.map((b) => [b.id, b.role])).toEqual([['2', 'split']]);
    expect(metric.params).toEqual({});
  });

  test('the heat map keeps no bucket and one metric it takes', () => {
    let spec = addMetric(newSpec('table', DV), 'cardinality', DV);
    spec = updateBucket(spec, '2', { order: { by: '3', dir: 'desc' } }, DV);
    const heat = setChartType(removeMetric(spec, '1'), 'heatmap');
    expect(heat.buckets).toEqual([]);
    expect(heat.metrics.map((m) => m.type)).toEqual(['count']);
    expect(specProblems(heat)).toEqual([]);
  });

  test("params take the new type's defaults, keeping what was set", () => {
    const bar = { ...newSpec('bar', DV), params: { stacked: false, legendPosition: 'bottom' as const, valueLabels: true } };
    expect(setChartType(bar, 'line').params).toEqual({ stacked: false, legendPosition: 'bottom', valueLabels: true });
    expect(setChartType(bar, 'pie').params).toEqual({ legendPosition: 'bottom', donut: true, valueLabels: true });
  });
});

describe('specProblems', () => {
  test.each([
    [(s: VisSpec) => ({ ...s, metrics: [{ id: '1', type: 'avg' as const }] }), 'Average: choose a field'],
    [(s: VisSpec) => ({ ...s, metrics: [{ id: '1', type: 'percentiles' as const, field: 'duration', percents: [101] }] }), 'Percentiles: give 1 to 20 percents between 0 and 100'],
    [(s: VisSpec) => ({ ...s, buckets: [{ ...s.buckets[0]!, size: 0 }] }), 'Terms: size must be 1 to 500'],
    [(s: VisSpec) => ({ ...s, buckets: [{ ...s.buckets[0]!, order: { by: '9', dir: 'desc' as const } }] }), 'Terms: order by a count, average, sum, min, max or unique count'],
    [(s: VisSpec) => ({ ...s, buckets: [{ id: '2', role: 'x' as const, type: 'range' as const, field: 'duration', ranges: [{ from: 2, to: 1 }] }] }), 'Range: each "from" must be below its "to"'],
    [(s: VisSpec) => ({ ...s, buckets: [{ id: '2', role: 'x' as const, type: 'date_histogram' as const, field: '@timestamp', interval: '5 minutes' }] }), 'Date histogram: "5 minutes" is not an interval'],
    [(s: VisSpec) => ({ ...s, buckets: [{ id: '2', role: 'x' as const, type: 'histogram' as const, field: 'duration', histogramInterval: 0 }] }), 'Histogram: the interval must be above 0'],
  ])('%#: %s', (edit, problem) => {
    expect(specProblems(edit(newSpec('pie', DV)))).toEqual([problem]);
  });

  test.each([['auto', true], ['30s', true], ['500ms', true], ['3h', true], ['1M', true], ['1q', true], ['2M', false], ['0m', false], ['m', false]])(
    'interval %s valid: %s',
    (text, ok) => expect(validInterval(text)).toBe(ok),
  );
});

describe('parseSpec', () => {
  test('reads back what the editor writes', () => {
    const spec = addBucket(newSpec('bar', DV), 'terms', 'split', DV);
    expect(parseSpec(JSON.stringify(spec))).toEqual(spec);
    expect(parseSpec(JSON.stringify({ ...spec, params: undefined }))?.params).toEqual({});
  });

  test.each([null, '', '{', '[]', '{"type":"donut","dataView":"x","metrics":[],"buckets":[]}', '{"type":"pie","dataView":"x","metrics":[{"id":"1","type":"mode"}],"buckets":[]}', '{"type":"pie","dataView":"x","metrics":[],"buckets":[{"type":"terms"}]}'])(
    'refuses %j',
    (text) => expect(parseSpec(text)).toBeNull(),
  );
});
