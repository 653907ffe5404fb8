import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Bucket } from '../../api';
import type { ECharts } from '../../lib/echarts';
import { loadECharts, loadedECharts } from '../../lib/loadECharts';
import { formatNumber, formatTime } from '../../lib/format';
import { brushToRange, histogramOption } from '../../lib/histogram';
import type { Interval } from '../../lib/interval';

export interface HistogramProps {
  buckets: Bucket[];
  interval: Interval;
  from: number;
  to: number;
  timeField: string;
  /** A range brushed on the chart, or a bucket picked in the data table. */
  onSelectRange: (from: number, to: number) => void;
}

const BAR = '#0061a6';
const TEXT = '#535966';

/** "Hits over time": the ECharts bar chart (drag across it to zoom) and its data table alternative. */
export function Histogram({ buckets, interval, from, to, timeField, onSelectRange }: HistogramProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const [showTable, setShowTable] = useState(false);
  const bounds = useRef({ from, to, onSelectRange });
  bounds.current = { from, to, onSelectRange };

  const [ready, setReady] = useState(false);
  const props = useRef({ buckets, interval, from, to });
  props.current = { buckets, interval, from, to };
  // What the chart was last drawn from (so the first draw is not repeated when `ready` flips).
  const drawn = useRef<unknown[] | null>(null);
  const draw = (c: ECharts): void => {
    const p = props.current;
    const deps = [p.buckets, p.interval.ms, p.from, p.to];
    if (drawn.current && deps.every((d, i) => d === drawn.current![i])) return;
    drawn.current = deps;
    c.setOption(histogramOption({ buckets: p.buckets, intervalMs: p.interval.ms, from: p.from, to: p.to, color: BAR, textColor: TEXT }), true);
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
  };

  // ECharts is its own chunk, usually loaded by the time the first answer comes (startFirstScreen
  // starts it): then the chart is made and drawn before the browser paints the rows.
  useLayoutEffect(() => {
    let disposed = false;
    let resize: ResizeObserver | null = null;
    const setup = ({ init }: { init: typeof import('../../lib/echarts').init }): void => {
      const el = container.current;
      if (disposed || !el) return;
      const c = init(el, undefined, { renderer: 'canvas' });
      chart.current = c;
      c.on('brushEnd', (params: unknown) => {
        const areas = (params as { areas?: Array<{ coordRange?: number[] }> }).areas ?? [];
        const coord = areas[0]?.coordRange;
        c.dispatchAction({ type: 'brush', areas: [] });
        if (!coord) return;
        const range = brushToRange(coord, bounds.current.from, bounds.current.to);
        if (range) bounds.current.onSelectRange(range.from, range.to);
      });
      resize = new ResizeObserver(() => c.resize());
      resize.observe(el);
      draw(c);
      setReady(true);
    };
    const mod = loadedECharts();
    if (mod) setup(mod);
    else void loadECharts().then(() => setup(loadedECharts()!));
    return () => {
      disposed = true;
      resize?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useLayoutEffect(() => {
    const c = chart.current;
    if (c && ready) draw(c);
  }, [ready, buckets, interval.ms, from, to]);

  return (
    <figure class="histogram" aria-labelledby="histogram-title">
      <figcaption class="histogram-header">
        <span id="histogram-title" class="histogram-title">
          Hits over time
        </span>
        <span class="subdued">
          {timeField} per {interval.label}
        </span>
        <button type="button" class="link-button" aria-expanded={showTable} onClick={() => setShowTable(!showTable)}>
          {showTable ? 'Hide data table' : 'Show data table'}
        </button>
      </figcaption>
      <div ref={container} class="histogram-chart" data-ready={ready ? 'true' : 'false'} aria-hidden="true" title="Drag across the chart to zoom into a time range" />
      {showTable && (
        <div class="table-scroll histogram-table">
          <table aria-label="Hits over time data">
            <thead>
              <tr>
                <th scope="col">{timeField} per {interval.label}</th>
                <th scope="col" class="num">
                  Count
                </th>
                <th scope="col">
                  <span class="visually-hidden">Zoom</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr key={b.key}>
                  <td>{formatTime(b.key)}</td>
                  <td class="num">{formatNumber(b.count)}</td>
                  <td>
                    <button
                      type="button"
                      class="link-button"
                      aria-label={`Zoom to ${formatTime(b.key)}`}
                      onClick={() => onSelectRange(Math.max(from, b.key), Math.min(to, b.key + interval.ms - 1))}
                    >
                      Zoom
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}
