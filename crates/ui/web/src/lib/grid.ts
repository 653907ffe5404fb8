// The dashboard grid (Kibana's: 48 columns, rows of a fixed height, panels pulled up so no row is
// left empty above them). Pure functions over panel rectangles: move, resize, add; every result
// has no overlaps and is compacted upwards, like react-grid-layout's vertical compaction.

export const COLUMNS = 48;
export const MIN_W = 4;
export const MIN_H = 4;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Panel<T = object> = T & Rect & { panelId: string };

export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

const columnsOverlap = (a: Rect, b: Rect): boolean => a.x < b.x + b.w && b.x < a.x + a.w;

function clampRect(r: Rect): Rect {
  const w = Math.max(MIN_W, Math.min(COLUMNS, Math.round(r.w)));
  const h = Math.max(MIN_H, Math.round(r.h));
  const x = Math.max(0, Math.min(COLUMNS - w, Math.round(r.x)));
  const y = Math.max(0, Math.round(r.y));
  return { x, y, w, h };
}

function byPosition<T extends Rect>(a: T, b: T): number {
  return a.y - b.y || a.x - b.x;
}

/** Pulls every panel up as far as it goes, top to bottom (the first in `priority` first on ties). */
export function compact<T>(panels: ReadonlyArray<Panel<T>>, priority?: string): Array<Panel<T>> {
  const order = panels.slice().sort((a, b) => byPosition(a, b) || (a.panelId === priority ? -1 : b.panelId === priority ? 1 : 0));
  const placed: Array<Panel<T>> = [];
  for (const p of order) {
    let y = p.y;
    while (y > 0 && !placed.some((q) => overlaps({ ...p, y: y - 1 }, q))) y -= 1;
    placed.push({ ...p, y });
  }
  const at = new Map(placed.map((p) => [p.panelId, p]));
  return panels.map((p) => at.get(p.panelId)!);
}

/** Pushes the panels that overlap `moved` down below it, and those they then overlap, and so on. */
function pushDown<T>(panels: Array<Panel<T>>, movedId: string): Array<Panel<T>> {
  const out = panels.map((p) => ({ ...p }));
  const queue = [movedId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const m = out.find((p) => p.panelId === id)!;
    for (const p of out.slice().sort(byPosition)) {
      if (p.panelId === id || p.panelId === movedId || !overlaps(m, p)) continue;
      p.y = m.y + m.h;
      queue.push(p.panelId);
    }
  }
  return out;
}

/** Puts a panel at a rectangle (clamped to the grid), pushes what it covers down, compacts. */
export function place<T>(panels: ReadonlyArray<Panel<T>>, id: string, rect: Partial<Rect>): Array<Panel<T>> {
  const cur = panels.find((p) => p.panelId === id);
  if (!cur) return panels.slice();
  const r = clampRect({ x: rect.x ?? cur.x, y: rect.y ?? cur.y, w: rect.w ?? cur.w, h: rect.h ?? cur.h });
  const moved = panels.map((p) => (p.panelId === id ? { ...p, ...r } : p));
  return compact(pushDown(moved, id), id);
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/** A keyboard move: one column left or right; up or down past the neighbouring panel. */
export function move<T>(panels: ReadonlyArray<Panel<T>>, id: string, dir: Direction): Array<Panel<T>> {
  const me = panels.find((p) => p.panelId === id);
  if (!me) return panels.slice();
  switch (dir) {
    case 'left':
      return place(panels, id, { x: me.x - 1 });
    case 'right':
      return place(panels, id, { x: me.x + 1 });
    case 'up': {
      const above = panels.filter((p) => p.panelId !== id && columnsOverlap(p, me) && p.y + p.h <= me.y);
      if (above.length === 0) return panels.slice();
      const target = Math.max(...above.map((p) => p.y));
      return place(panels, id, { y: target });
    }
    case 'down': {
      const below = panels.filter((p) => p.panelId !== id && columnsOverlap(p, me) && p.y >= me.y + me.h);
      if (below.length === 0) return panels.slice();
      const next = below.reduce((a, b) => (b.y < a.y ? b : a));
      // Just under the next panel: compaction then lifts that one into the place we left.
      return place(panels, id, { y: next.y + next.h });
    }
  }
}

/** A keyboard resize: one column narrower/wider, one row shorter/taller. */
export function resize<T>(panels: ReadonlyArray<Panel<T>>, id: string, dw: number, dh: number): Array<Panel<T>> {
  const me = panels.find((p) => p.panelId === id);
  if (!me) return panels.slice();
  const w = Math.max(MIN_W, Math.min(COLUMNS - me.x, me.w + dw));
  return place(panels, id, { w, h: me.h + dh });
}

/** The first free spot (top to bottom, left to right) for a w × h panel. */
export function freeSpot(panels: readonly Rect[], w: number, h: number): Rect {
  const bottom = panels.reduce((m, p) => Math.max(m, p.y + p.h), 0);
  for (let y = 0; y <= bottom; y += 1) {
    for (let x = 0; x + w <= COLUMNS; x += 1) {
      const r = { x, y, w, h };
      if (!panels.some((p) => overlaps(p, r))) return r;
    }
  }
  return { x: 0, y: bottom, w, h };
}

/** Removes a panel and lets the others move up. */
export function remove<T>(panels: ReadonlyArray<Panel<T>>, id: string): Array<Panel<T>> {
  return compact(panels.filter((p) => p.panelId !== id));
}

/** Whether no two panels overlap and all lie on the grid. */
export function valid(panels: readonly Rect[]): boolean {
  return panels.every((p, i) => p.x >= 0 && p.y >= 0 && p.w >= 1 && p.h >= 1 && p.x + p.w <= COLUMNS && panels.every((q, j) => i === j || !overlaps(p, q)));
}
