// The Discover histogram as an ECharts option object (a pure function: tested without a browser).

import type { BarSeriesOption } from 'echarts/charts';
import type { BrushComponentOption, GridComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { Bucket } from '../api';
import { formatNumber, formatTime } from './format';

export type HistogramOption = ComposeOption<BarSeriesOption | GridComponentOption | TooltipComponentOption | BrushComponentOption>;

export interface HistogramInput {
  buckets: Bucket[];
  intervalMs: number;
  from: number;
  to: number;
  /** Bar colour (the palette's primary). */
  color: string;
  /** Axis label colour (must read at AA contrast on the page background). */
  textColor: string;
}

/** Each bar spans its bucket `[key, key + interval)`: its centre is drawn half an interval in. */
export function barData(buckets: Bucket[], intervalMs: number): Array<[number, number]> {
  return buckets.map((b) => [b.key + intervalMs / 2, b.count]);
}

export function histogramOption({ buckets, intervalMs, from, to, color, textColor }: HistogramInput): HistogramOption {
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 12, bottom: 28 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const first = (Array.isArray(params) ? params[0] : params) as { value?: [number, number] } | undefined;
        if (!first?.value) return '';
        const [centre, count] = first.value;
        return `${formatTime(centre - intervalMs / 2)}<br>${formatNumber(count)} hits`;
      },
    },
    xAxis: {
      type: 'time',
      min: from,
      max: to,
      axisLabel: { color: textColor, hideOverlap: true },
      axisLine: { lineStyle: { color: textColor } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      axisLabel: { color: textColor },
      splitLine: { lineStyle: { color: '#d3dae6' } },
    },
    brush: {
      xAxisIndex: 0,
      brushType: 'lineX',
      brushMode: 'single',
      transformable: false,
      throttleType: 'debounce',
      throttleDelay: 0,
      brushStyle: { borderWidth: 1, color: 'rgba(0,97,166,0.15)', borderColor: 'rgba(0,97,166,0.6)' },
      outOfBrush: { colorAlpha: 0.4 },
    },
    series: [
      {
        type: 'bar',
        name: 'Hits',
        data: barData(buckets, intervalMs),
        itemStyle: { color },
        barCategoryGap: '10%',
        barMinHeight: 0,
        emphasis: { disabled: true },
        large: buckets.length > 500,
      },
    ],
  };
}

/** Brushing snaps nothing: the range is the brushed span, clamped to the shown range, whole ms. */
export function brushToRange(coordRange: readonly number[], from: number, to: number): { from: number; to: number } | null {
  if (coordRange.length < 2) return null;
  const a = Math.max(from, Math.min(to, Math.round(Math.min(coordRange[0]!, coordRange[1]!))));
  const b = Math.max(from, Math.min(to, Math.round(Math.max(coordRange[0]!, coordRange[1]!))));
  return b > a ? { from: a, to: b } : null;
}
