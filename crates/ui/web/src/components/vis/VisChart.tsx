import { useId, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { VisTable } from '../../api';
import { filterLabel, type Filter } from '../../lib/state';
import { brushedRange, describe, legendFilters, seriesColor, sliceFilters, toModel, xyClick, type ChartModel } from '../../lib/vis/model';
import { heatOption, pieOption, sliceColor, type VisOption, xyOption } from '../../lib/vis/option';
import { loadedVisCharts, loadVisCharts } from '../../lib/vis/loadVisCharts';
import type { ChartType, VisParams } from '../../lib/vis/spec';
import { DataTable } from './DataTable';

export interface VisChartProps {
  type: ChartType;
  params: VisParams;
  table: VisTable;
  title: string;
  /** Click-to-filter: a bar, slice, legend item or table row adds these filters. */
  onFilters?: ((filters: Filter[]) => void) | undefined;
  /** A brushed or clicked time bucket: zoom the time range. */
  onTimeRange?: ((from: number, to: number) => void) | undefined;
}

type Chart = import('../../lib/vis/echartsVis').ECharts;

interface LegendItem {
  name: string;
  color: string;
  filters: Filter[];
}

function legendItems(model: ChartModel, table: VisTable): LegendItem[] {
  if (model.kind === 'xy') {
    return model.series.map((s, i) => ({ name: s.name, color: seriesColor(model, i), filters: legendFilters(table, model, i) }));
  }
  if (model.kind === 'pie' && model.levels.length > 0) {
    return (model.rings[0] ?? []).map((s, i) => ({ name: s.name, color: sliceColor(model, 0, i), filters: sliceFilters(table, model, 0, i) }));
  }
  return [];
}

function optionFor(type: ChartType, model: ChartModel, params: VisParams, width: number): VisOption | null {
  switch (model.kind) {
    case 'xy':
      return xyOption(model, { type, params, width });
    case 'pie':
      return pieOption(model, { type, params, width });
    case 'heatmap':
      return heatOption(model, { type, params, width });
    case 'metric':
    case 'table':
      return null;
  }
}

/** One visualization: the chart (ECharts, or HTML for metric and table), its legend (buttons that
 * filter), an accessible description, and its data table behind "Show data table". */
export function VisChart({ type, params, table, title, onFilters, onTimeRange }: VisChartProps) {
  const id = useId();
  const model = useMemo(() => toModel(type, table), [type, table]);
  const description = useMemo(() => describe(type, model, title), [type, model, title]);
  const [showTable, setShowTable] = useState(false);
  // The heat map always has its 168 cells: with no documents they are all 0 (or empty).
  const empty = table.rows.length === 0 || (model.kind === 'heatmap' && model.cells.every((c) => c[2] === 0));
  const drawn = !empty && !showTable && (model.kind === 'xy' || model.kind === 'pie' || model.kind === 'heatmap');
  const items = useMemo(() => (drawn && params.legendPosition !== 'none' ? legendItems(model, table) : []), [drawn, model, table, params.legendPosition]);
  const showLegend = items.length > 1 || (model.kind === 'xy' && model.split !== null && items.length > 0);

  return (
    <figure class="vis" aria-label={`${title || 'Visualization'} chart`} aria-describedby={`${id}-desc`}>
      <p id={`${id}-desc`} class="visually-hidden">
        {description}
      </p>
      {type !== 'table' && !empty && (
        <div class="vis-toolbar">
          <button type="button" class="link-button" aria-pressed={showTable} onClick={() => setShowTable(!showTable)}>
            {showTable ? 'Show chart' : 'Show data table'}
          </button>
        </div>
      )}
      {empty ? (
        <div class="vis-empty" role="status">
          No results found
        </div>
      ) : showTable || type === 'table' ? (
        <DataTable table={table} label={`${title || 'Visualization'} data`} onFilters={onFilters} />
      ) : model.kind === 'metric' ? (
        <div class="vis-metrics">
          {model.items.map((m, i) => (
            <div class="vis-metric" key={i}>
              <div class="vis-metric-value">{m.value}</div>
              <div class="vis-metric-label">{m.label}</div>
            </div>
          ))}
        </div>
      ) : (
        <div class={`vis-body legend-${showLegend ? params.legendPosition ?? 'right' : 'none'}`}>
          <EChart type={type} model={model} params={params} table={table} onFilters={onFilters} onTimeRange={onTimeRange} />
          {showLegend && (
            <ul class="vis-legend" aria-label={`${title || 'Visualization'} legend`}>
              {items.map((it) => (
                <li key={it.name}>
                  {onFilters && it.filters.length > 0 ? (
                    <button type="button" class="legend-item" aria-label={`Filter for ${it.filters.map(filterLabel).join(' and ')}`} title={`Filter for ${it.name}`} onClick={() => onFilters(it.filters)}>
                      <span class="swatch" style={{ background: it.color }} aria-hidden="true" />
                      {it.name}
                    </button>
                  ) : (
                    <span class="legend-item">
                      <span class="swatch" style={{ background: it.color }} aria-hidden="true" />
                      {it.name}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </figure>
  );
}

interface EChartProps {
  type: ChartType;
  model: ChartModel;
  params: VisParams;
  table: VisTable;
  onFilters?: ((filters: Filter[]) => void) | undefined;
  onTimeRange?: ((from: number, to: number) => void) | undefined;
}

/** The ECharts canvas (hidden from assistive technology: the description and table say the same). */
function EChart({ type, model, params, table, onFilters, onTimeRange }: EChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);
  const [ready, setReady] = useState(false);
  const latest = useRef({ type, model, table, onFilters, onTimeRange });
  latest.current = { type, model, table, onFilters, onTimeRange };

  useLayoutEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    const setup = (mod: typeof import('../../lib/vis/echartsVis')): void => {
      const node = el.current;
      if (disposed || !node) return;
      const c = mod.init(node, undefined, { renderer: 'canvas' });
      chart.current = c;
      c.on('click', (p: unknown) => {
        const { model: m, table: t, onFilters: add, onTimeRange: zoom } = latest.current;
        const e = p as { componentType?: string; seriesIndex?: number; dataIndex?: number };
        if (e.componentType !== 'series' || e.seriesIndex === undefined || e.dataIndex === undefined) return;
        if (m.kind === 'pie') {
          const f = sliceFilters(t, m, e.seriesIndex, e.dataIndex);
          if (f.length > 0) add?.(f);
        } else if (m.kind === 'xy') {
          const action = xyClick(t, m, e.seriesIndex, e.dataIndex);
          if (!action) return;
          if (action.filters.length > 0) add?.(action.filters);
          if (action.time) zoom?.(action.time.from, action.time.to);
        }
      });
      c.on('brushEnd', (p: unknown) => {
        const { model: m, onTimeRange: zoom } = latest.current;
        const areas = (p as { areas?: Array<{ coordRange?: number[] }> }).areas ?? [];
        const coord = areas[0]?.coordRange;
        c.dispatchAction({ type: 'brush', areas: [] });
        if (!coord || m.kind !== 'xy' || !zoom) return;
        const range = brushedRange(m, coord);
        if (range) zoom(range.from, range.to);
      });
      observer = new ResizeObserver(() => c.resize());
      observer.observe(node);
      setReady(true);
    };
    const mod = loadedVisCharts();
    if (mod) setup(mod);
    else void loadVisCharts().then(setup);
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useLayoutEffect(() => {
    const c = chart.current;
    if (!c || !ready) return;
    const option = optionFor(type, model, params, el.current?.clientWidth ?? 400);
    if (!option) return;
    c.setOption(option, true);
    if (model.kind === 'xy' && model.time && onTimeRange) {
      c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
    }
  }, [ready, type, model, params, onTimeRange !== undefined]);

  const brushable = model.kind === 'xy' && model.time && onTimeRange !== undefined;
  return (
    <div
      ref={el}
      class="vis-canvas"
      data-ready={ready ? 'true' : 'false'}
      aria-hidden="true"
      title={brushable ? 'Drag across the chart to zoom into a time range; click a bar to filter' : 'Click to filter'}
    />
  );
}
