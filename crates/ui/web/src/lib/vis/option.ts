// ECharts option objects for each chart type, built from the chart model (pure: tested without a
// browser). Legends are drawn by the page (HTML buttons, click-to-filter), not by ECharts.

import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import type { BrushComponentOption, GridComponentOption, TooltipComponentOption, VisualMapComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { formatNumber } from '../format';
import { type HeatModel, type PieModel, seriesColor, type XYModel } from './model';
import { HEAT_SCALE, labelColor, OTHER_COLOR, paletteColor } from './palette';
import type { ChartType, VisParams } from './spec';

export type VisOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | BrushComponentOption
  | VisualMapComponentOption
>;

export const TEXT = '#535966';
const GRID_LINE = '#d3dae6';

export interface OptionInput {
  type: ChartType;
  params: VisParams;
  /** Width of the chart in CSS pixels (label density). */
  width: number;
}

const fmt = (v: unknown): string => (typeof v === 'number' ? formatNumber(Math.round(v * 1000) / 1000) : String(v ?? ''));

export function xyOption(model: XYModel, { type, params }: OptionInput): VisOption {
  const horizontal = type === 'hbar';
  const bars = type === 'bar' || type === 'hbar';
  const stacked = params.stacked ?? bars;
  const category = {
    type: 'category' as const,
    data: model.labels,
    axisLabel: { color: TEXT, hideOverlap: true },
    axisLine: { lineStyle: { color: TEXT } },
    axisTick: { alignWithLabel: true },
  };
  const value = {
    type: 'value' as const,
    axisLabel: { color: TEXT, formatter: (v: number) => fmt(v) },
    splitLine: { lineStyle: { color: GRID_LINE } },
  };
  const series: Array<BarSeriesOption | LineSeriesOption> = model.series.map((s, i) => {
    const color = seriesColor(model, i);
    const label = params.valueLabels
      ? stacked && bars
        ? { show: true, position: 'inside' as const, color: labelColor(color), formatter: (p: { value: unknown }) => fmt(p.value) }
        : { show: true, position: horizontal ? ('right' as const) : ('top' as const), color: TEXT, formatter: (p: { value: unknown }) => fmt(p.value) }
      : { show: false };
    const common = { name: s.name, data: s.values, itemStyle: { color }, label, emphasis: { focus: 'series' as const } };
    if (bars) return { ...common, type: 'bar', stack: stacked ? 'total' : undefined, barMaxWidth: 48 };
    return {
      ...common,
      type: 'line',
      stack: stacked ? 'total' : undefined,
      lineStyle: { color, width: 2 },
      showSymbol: model.categories.length <= 60,
      connectNulls: false,
      areaStyle: type === 'area' ? { color, opacity: 0.6 } : undefined,
    };
  });
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: bars ? 'shadow' : 'line' }, valueFormatter: (v) => fmt(v) },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? { ...category, inverse: true } : value,
    brush: model.time
      ? {
          xAxisIndex: 0,
          brushType: 'lineX',
          brushMode: 'single',
          transformable: false,
          throttleType: 'debounce',
          throttleDelay: 0,
          brushStyle: { borderWidth: 1, color: 'rgba(0,97,166,0.15)', borderColor: 'rgba(0,97,166,0.6)' },
        }
      : undefined,
    series,
  };
}

/** Pie (or donut) rings, innermost the first bucket; slice labels dark or white by slice luminance. */
export function pieOption(model: PieModel, { params, width }: OptionInput): VisOption {
  const rings = model.rings.length;
  const inner = params.donut ? 30 : 0;
  const outer = 80;
  const step = (outer - inner) / Math.max(1, rings);
  const series: PieSeriesOption[] = model.rings.map((ring, l) => ({
    type: 'pie',
    name: model.levels[l]?.name ?? model.metric?.name ?? '',
    radius: [`${inner + l * step}%`, `${inner + (l + 1) * step}%`],
    center: ['50%', '50%'],
    avoidLabelOverlap: true,
    data: ring.map((s, i) => {
      const color = sliceColor(model, l, i);
      return {
        name: s.name,
        value: s.value,
        itemStyle: { color, borderColor: '#ffffff', borderWidth: 1 },
        label: { color: labelColor(color) },
      };
    }),
    label: {
      show: params.valueLabels !== false && width >= 200,
      position: 'inside',
      formatter: (p: { percent?: number; name: string }) => ((p.percent ?? 0) >= 5 ? `${p.name}\n${Math.round(p.percent ?? 0)}%` : ''),
      fontSize: 12,
      lineHeight: 15,
    },
    labelLine: { show: false },
    emphasis: { scale: false },
  }));
  return {
    animation: false,
    tooltip: { trigger: 'item', formatter: (p: unknown) => tooltipOf(p as { name: string; value: number; percent: number }) },
    series,
  };
}

function tooltipOf(p: { name: string; value: number; percent: number }): string {
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `${esc(p.name)}: ${fmt(p.value)} (${Math.round(p.percent)}%)`;
}

/** A slice's colour: the outer rings take their top-level ancestor's colour, like Kibana; Other
 * slices (and what lies under them) are neutral. */
export function sliceColor(model: PieModel, ring: number, index: number): string {
  let l = ring;
  let i = index;
  if (model.rings[l]?.[i]?.other) return OTHER_COLOR;
  while (l > 0) {
    i = model.rings[l]![i]!.parent;
    l -= 1;
  }
  return model.rings[0]?.[i]?.other ? OTHER_COLOR : paletteColor(i);
}

export function heatOption(model: HeatModel, { params }: OptionInput): VisOption {
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const v = (p as { value: [number, number, number] }).value;
        return `${model.yLabels[v[1]] ?? ''} ${model.xLabels[v[0]] ?? ''}: ${fmt(v[2])}`;
      },
    },
    xAxis: { type: 'category', data: model.xLabels, name: model.xName, nameLocation: 'middle', nameGap: 24, axisLabel: { color: TEXT, hideOverlap: true }, splitArea: { show: true } },
    yAxis: { type: 'category', data: model.yLabels, inverse: true, axisLabel: { color: TEXT }, splitArea: { show: true } },
    visualMap: {
      min: 0,
      max: Math.max(1, model.max),
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      itemWidth: 12,
      text: [formatNumber(model.max), '0'],
      textStyle: { color: TEXT },
      inRange: { color: [...HEAT_SCALE] },
    },
    series: [
      {
        type: 'heatmap',
        name: model.metricName,
        data: model.cells.map(([x, y, v]) => [x, y, v]),
        label: {
          show: params.valueLabels === true,
          formatter: (p: { value: unknown }) => fmt((p.value as number[])[2]),
          // Cells take any colour of the scale: black text with a white halo reads on all of them.
          color: '#000000',
          textBorderColor: '#ffffff',
          textBorderWidth: 2,
        },
        emphasis: { itemStyle: { borderColor: '#1a1c21', borderWidth: 1 } },
      },
    ],
  };
}
