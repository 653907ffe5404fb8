import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Bucket } from '../../api';
import { formatNumber, formatTime } from '../../lib/format';
import {
  barAt,
  barsToRange,
  brushPixelsToRange,
  describeBar,
  describeHistogram,
  histogramGeometry,
  type HistogramGeometry,
} from '../../lib/histogram';
import type { Interval } from '../../lib/interval';

export interface HistogramProps {
  buckets: Bucket[];
  interval: Interval;
  from: number;
  to: number;
  timeField: string;
  /** A range brushed on the chart, a bar clicked or picked with the keyboard, or a bucket picked in the data table. */
  onSelectRange: (from: number, to: number) => void;
}

/** The chart's height (CSS px); its width follows the page. */
const HEIGHT = 160;

const KEYS = 'Left and right arrow keys move between bars, Shift with an arrow key selects several, Enter zooms in, Escape clears.';

/**
 * "Hits over time": an SVG bar chart drawn from lib/histogram.ts's geometry (no chart library:
 * it is on Discover's first screen). Hover shows a bar's bucket and count; click a bar to zoom
 * into it, or drag across the chart to zoom into a range; the keyboard does the same. The data
 * table is its text alternative.
 */
export function Histogram({ buckets, interval, from, to, timeField, onSelectRange }: HistogramProps) {
  const container = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [showTable, setShowTable] = useState(false);
  /** The bar under the pointer or the keyboard's bar. */
  const [activeIndex, setActive] = useState<number | null>(null);
  /** The keyboard selection's other end (Shift + arrows). */
  const [anchorIndex, setAnchor] = useState<number | null>(null);
  /** A drag in progress: its start and current x (CSS px in the chart). */
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return undefined;
    setWidth(el.clientWidth);
    const resize = new ResizeObserver(() => setWidth(el.clientWidth));
    resize.observe(el);
    return () => resize.disconnect();
  }, []);

  const geometry = useMemo(
    () => (width > 0 ? histogramGeometry({ buckets, interval, from, to, width, height: HEIGHT }) : null),
    [buckets, interval.name, interval.ms, from, to, width],
  );
  // New data: the old bar numbers mean nothing.
  useLayoutEffect(() => {
    setActive(null);
    setAnchor(null);
    setDrag(null);
  }, [buckets, from, to]);

  const description = useMemo(() => describeHistogram(buckets, interval, from, to), [buckets, interval, from, to]);
  const bars = geometry?.bars ?? [];
  // The first render with new buckets still holds the old bar numbers (the layout effect above
  // clears them right after): a number past the new bars means no bar.
  const active = activeIndex !== null && activeIndex < bars.length ? activeIndex : null;
  const anchor = anchorIndex !== null && anchorIndex < bars.length ? anchorIndex : null;
  const activeBar = active !== null ? bars[active] : undefined;
  const selection = anchor !== null && active !== null ? ([Math.min(anchor, active), Math.max(anchor, active)] as const) : null;

  const localX = (e: PointerEvent): number => e.clientX - (container.current?.getBoundingClientRect().left ?? 0);
  const zoom = (range: { from: number; to: number } | null): void => {
    if (range) onSelectRange(range.from, range.to);
  };

  const onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0 || !geometry) return;
    const x = localX(e);
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    setDrag({ x0: x, x1: x });
  };
  const onPointerMove = (e: PointerEvent): void => {
    if (!geometry) return;
    const x = localX(e);
    if (drag) setDrag({ x0: drag.x0, x1: x });
    const i = barAt(geometry.bars, x);
    setActive(i >= 0 ? i : null);
    setAnchor(null);
  };
  const onPointerUp = (e: PointerEvent): void => {
    if (!drag || !geometry) return;
    const x = localX(e);
    setDrag(null);
    const brushed = brushPixelsToRange(drag.x0, x, from, to, geometry.plot);
    if (brushed) return zoom(brushed);
    const i = barAt(geometry.bars, x);
    if (i >= 0 && geometry.bars[i]!.count > 0) zoom(barsToRange(geometry.bars, i, i, from, to));
  };
  const onPointerLeave = (): void => {
    if (!drag) setActive(null);
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    const n = bars.length;
    if (n === 0) return;
    const move = (to: number): void => {
      e.preventDefault();
      const next = Math.max(0, Math.min(n - 1, to));
      if (e.shiftKey) setAnchor(anchor ?? active ?? next);
      else setAnchor(null);
      setActive(next);
    };
    switch (e.key) {
      case 'ArrowRight':
        return move(active === null ? 0 : active + 1);
      case 'ArrowLeft':
        return move(active === null ? n - 1 : active - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(n - 1);
      case 'Enter':
      case ' ':
        if (active === null) return;
        e.preventDefault();
        return zoom(barsToRange(bars, anchor ?? active, active, from, to));
      case 'Escape':
        if (active === null && anchor === null) return;
        e.preventDefault();
        setActive(null);
        setAnchor(null);
        return;
      default:
        return;
    }
  };

  const announcement = !activeBar
    ? ''
    : selection && selection[0] !== selection[1]
      ? selectionText(bars, selection[0], selection[1], to)
      : describeBar(activeBar);

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
      <div
        ref={container}
        class="histogram-chart"
        data-ready={geometry ? 'true' : 'false'}
        role="group"
        aria-label="Hits over time chart"
        aria-describedby="histogram-description histogram-keys"
        tabIndex={0}
        title="Click a bar or drag across the chart to zoom into a time range"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => setDrag(null)}
        onPointerLeave={onPointerLeave}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setActive(null);
          setAnchor(null);
        }}
      >
        {geometry && <Chart geometry={geometry} width={width} active={active} selection={selection} drag={drag} />}
        {activeBar && geometry && !drag && <Tooltip bar={activeBar} geometry={geometry} width={width} />}
      </div>
      <p id="histogram-description" class="visually-hidden">
        {description}
      </p>
      <p id="histogram-keys" class="visually-hidden">
        {KEYS}
      </p>
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>
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

function selectionText(bars: readonly { key: number; end: number; count: number }[], a: number, b: number, to: number): string {
  let count = 0;
  for (let i = a; i <= b; i++) count += bars[i]!.count;
  return `Selected ${formatTime(bars[a]!.key)} to ${formatTime(Math.min(to, bars[b]!.end))}: ${formatNumber(count)} ${count === 1 ? 'hit' : 'hits'}. Enter zooms in.`;
}

interface ChartProps {
  geometry: HistogramGeometry;
  width: number;
  active: number | null;
  selection: readonly [number, number] | null;
  drag: { x0: number; x1: number } | null;
}

/** The drawing (hidden from assistive technology: the group's description and the data table say it). */
function Chart({ geometry, width, active, selection, drag }: ChartProps) {
  const { plot, bars, xTicks, yTicks } = geometry;
  const bottom = plot.top + plot.height;
  const right = plot.left + plot.width;
  const clampX = (x: number): number => Math.max(plot.left, Math.min(right, x));
  const band =
    drag && Math.abs(drag.x1 - drag.x0) >= 3
      ? { x: clampX(Math.min(drag.x0, drag.x1)), end: clampX(Math.max(drag.x0, drag.x1)) }
      : selection
        ? { x: bars[selection[0]]!.slotStart, end: bars[selection[1]]!.slotEnd }
        : null;
  return (
    <svg width={width} height={HEIGHT} aria-hidden="true" focusable="false">
      <g class="histogram-grid">
        {yTicks.map((t) => (
          <line key={t.value} x1={plot.left} x2={right} y1={t.pos} y2={t.pos} />
        ))}
      </g>
      {band && <rect class="histogram-band" x={band.x} y={plot.top} width={Math.max(0, band.end - band.x)} height={plot.height} />}
      <g>
        {bars.map((b, i) =>
          b.height > 0 ? (
            <rect key={b.key} class={i === active ? 'bar bar-active' : 'bar'} x={b.x} y={b.y} width={b.width} height={b.height} />
          ) : null,
        )}
      </g>
      <line class="histogram-axis" x1={plot.left} x2={right} y1={bottom + 0.5} y2={bottom + 0.5} />
      <g class="histogram-labels">
        {xTicks.map((t) => (
          <g key={t.value}>
            <line class="histogram-axis" x1={t.pos} x2={t.pos} y1={bottom} y2={bottom + 4} />
            <text x={t.pos} y={bottom + 16} text-anchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        {yTicks.map((t) => (
          <text key={t.value} x={plot.left - 6} y={t.pos + 4} text-anchor="end">
            {t.label}
          </text>
        ))}
      </g>
    </svg>
  );
}

/** The hovered or focused bar's bucket and count, beside it and inside the chart. */
function Tooltip({ bar, geometry, width }: { bar: HistogramGeometry['bars'][number]; geometry: HistogramGeometry; width: number }) {
  const centre = bar.x + bar.width / 2;
  // beside the bar, on the side with more room (Preact 11 adds no `px` to numbers)
  const side = centre > width / 2 ? { right: `${width - centre + 8}px` } : { left: `${centre + 8}px` };
  return (
    <div class="histogram-tooltip" aria-hidden="true" style={{ ...side, top: `${geometry.plot.top}px` }}>
      <div>{formatTime(bar.key)}</div>
      <div>
        <strong>{formatNumber(bar.count)}</strong> {bar.count === 1 ? 'hit' : 'hits'}
      </div>
    </div>
  );
}
