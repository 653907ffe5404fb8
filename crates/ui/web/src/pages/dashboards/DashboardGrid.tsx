import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import type { DashboardPanel } from '../../api';
import { COLUMNS, type Direction, move, place, resize } from '../../lib/grid';

/** Row height and gap of the grid in CSS pixels (Kibana: 20 px rows). */
export const ROW_PX = 20;
export const GAP_PX = 8;

export interface DashboardGridProps {
  panels: DashboardPanel[];
  editing: boolean;
  onChange: (panels: DashboardPanel[]) => void;
  /** Renders a panel's content; `handles` are the move/resize controls (edit mode). */
  renderPanel: (panel: DashboardPanel, handles: ComponentChildren) => ComponentChildren;
  titleOf: (panel: DashboardPanel) => string;
}

const KEYS: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

/** The 48-column grid. In edit mode each panel has a move handle and a resize handle: drag them, or
 * focus them and use the arrow keys (move: one column, or past the neighbouring panel; resize: one
 * column or row). */
export function DashboardGrid({ panels, editing, onChange, renderPanel, titleOf }: DashboardGridProps) {
  const grid = useRef<HTMLDivElement>(null);

  const cellSize = (): { col: number; row: number } => {
    const w = grid.current?.clientWidth ?? 960;
    return { col: (w + GAP_PX) / COLUMNS, row: ROW_PX + GAP_PX };
  };

  const drag = (e: PointerEvent, panel: DashboardPanel, kind: 'move' | 'resize'): void => {
    if (e.button !== 0) return;
    e.preventDefault();
    const target = e.currentTarget as HTMLElement;
    target.setPointerCapture(e.pointerId);
    const start = { x: e.clientX, y: e.clientY };
    const snapshot = panels;
    const { col, row } = cellSize();
    const onMove = (ev: PointerEvent): void => {
      const dx = Math.round((ev.clientX - start.x) / col);
      const dy = Math.round((ev.clientY - start.y) / row);
      onChange(
        kind === 'move'
          ? place(snapshot, panel.panelId, { x: panel.x + dx, y: panel.y + dy })
          : place(snapshot, panel.panelId, { w: Math.min(COLUMNS - panel.x, panel.w + dx), h: panel.h + dy }),
      );
    };
    const onUp = (): void => {
      target.removeEventListener('pointermove', onMove);
      target.removeEventListener('pointerup', onUp);
      target.removeEventListener('pointercancel', onUp);
    };
    target.addEventListener('pointermove', onMove);
    target.addEventListener('pointerup', onUp);
    target.addEventListener('pointercancel', onUp);
  };

  const onMoveKey = (e: KeyboardEvent, panel: DashboardPanel): void => {
    const dir = KEYS[e.key];
    if (!dir) return;
    e.preventDefault();
    onChange(move(panels, panel.panelId, dir));
  };
  const onResizeKey = (e: KeyboardEvent, panel: DashboardPanel): void => {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!d) return;
    e.preventDefault();
    onChange(resize(panels, panel.panelId, d[0]!, d[1]!));
  };

  return (
    <div ref={grid} class="dash-grid" style={{ '--row': `${ROW_PX}px`, '--gap': `${GAP_PX}px` }}>
      {panels.map((p) => {
        const title = titleOf(p);
        const handles = editing ? (
          <>
            <button
              type="button"
              class="icon-button grid-handle move-handle"
              aria-label={`Move panel ${title}`}
              aria-describedby="grid-keys-help"
              title="Drag to move, or use the arrow keys"
              onPointerDown={(e) => drag(e, p, 'move')}
              onKeyDown={(e) => onMoveKey(e, p)}
            >
              ✥
            </button>
            <button
              type="button"
              class="icon-button grid-handle resize-handle"
              aria-label={`Resize panel ${title}`}
              aria-describedby="grid-keys-help"
              title="Drag to resize, or use the arrow keys"
              onPointerDown={(e) => drag(e, p, 'resize')}
              onKeyDown={(e) => onResizeKey(e, p)}
            >
              ⇲
            </button>
          </>
        ) : null;
        return (
          <div
            key={p.panelId}
            class="dash-cell"
            data-panel-id={p.panelId}
            data-grid={`${p.x},${p.y},${p.w},${p.h}`}
            style={{ gridColumn: `${p.x + 1} / span ${p.w}`, gridRow: `${p.y + 1} / span ${p.h}`, '--h': p.h }}
          >
            {renderPanel(p, handles)}
          </div>
        );
      })}
      {editing && (
        <p id="grid-keys-help" class="visually-hidden">
          Arrow keys move the panel, or with the resize handle make it narrower, wider, shorter or taller.
        </p>
      )}
    </div>
  );
}
