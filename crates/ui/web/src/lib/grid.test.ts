import { describe, expect, test } from 'vitest';
import { compact, freeSpot, move, type Panel, place, remove, resize, valid } from './grid';

const p = (panelId: string, x: number, y: number, w: number, h: number): Panel => ({ panelId, x, y, w, h });
const rects = (ps: Panel[]): Record<string, [number, number, number, number]> =>
  Object.fromEntries(ps.map((q) => [q.panelId, [q.x, q.y, q.w, q.h]]));

// The tutorial's layout: two side by side, one under them.
const base = [p('a', 0, 0, 24, 15), p('b', 24, 0, 24, 15), p('c', 0, 15, 48, 15)];

describe('move', () => {
  test.each([
    ['a', 'right', { a: [1, 0, 24, 15], b: [24, 15, 24, 15], c: [0, 30, 48, 15] }],
    ['a', 'left', { a: [0, 0, 24, 15], b: [24, 0, 24, 15], c: [0, 15, 48, 15] }],
    ['c', 'up', { a: [0, 15, 24, 15], b: [24, 15, 24, 15], c: [0, 0, 48, 15] }],
    ['a', 'down', { a: [0, 30, 24, 15], b: [24, 0, 24, 15], c: [0, 15, 48, 15] }],
    ['a', 'up', { a: [0, 0, 24, 15], b: [24, 0, 24, 15], c: [0, 15, 48, 15] }],
  ] as const)('%s %s', (id, dir, expected) => {
    const out = move(base, id, dir);
    expect(rects(out)).toEqual(expected);
    expect(valid(out)).toBe(true);
  });

  test('down then up is where it started', () => {
    expect(rects(move(move(base, 'a', 'down'), 'a', 'up'))).toEqual(rects(base));
  });

  test('an unknown panel changes nothing', () => {
    expect(move(base, 'zz', 'down')).toEqual(base);
  });
});

describe('resize', () => {
  test('wider pushes the neighbour down, narrower lets it back', () => {
    const wide = resize(base, 'a', 1, 0);
    expect(rects(wide)).toEqual({ a: [0, 0, 25, 15], b: [24, 15, 24, 15], c: [0, 30, 48, 15] });
    expect(rects(resize(wide, 'a', -1, 0))).toEqual(rects(base));
  });

  test('taller pushes what is under it', () => {
    expect(rects(resize(base, 'b', 0, 2))).toEqual({ a: [0, 0, 24, 15], b: [24, 0, 24, 17], c: [0, 17, 48, 15] });
  });

  test('clamped to the grid and the minimum size', () => {
    expect(rects(resize(base, 'b', 5, 0)).b).toEqual([24, 0, 24, 15]);
    expect(rects(resize([p('a', 0, 0, 4, 4)], 'a', -3, -3)).a).toEqual([0, 0, 4, 4]);
  });
});

test('place drops a panel onto others and keeps the grid valid', () => {
  const out = place(base, 'c', { x: 10, y: 0 });
  expect(valid(out)).toBe(true);
  expect(rects(out).c).toEqual([0, 0, 48, 15]);
});

test('compact lifts panels into empty rows', () => {
  expect(rects(compact([p('a', 0, 5, 10, 5), p('b', 0, 20, 10, 5), p('c', 20, 7, 10, 5)]))).toEqual({ a: [0, 0, 10, 5], b: [0, 5, 10, 5], c: [20, 0, 10, 5] });
});

test('freeSpot finds the first gap, else the bottom', () => {
  expect(freeSpot([p('a', 0, 0, 24, 15)], 24, 15)).toEqual({ x: 24, y: 0, w: 24, h: 15 });
  expect(freeSpot(base, 24, 15)).toEqual({ x: 0, y: 30, w: 24, h: 15 });
});

test('remove lets the panels below move up', () => {
  expect(rects(remove(base, 'a'))).toEqual({ b: [24, 0, 24, 15], c: [0, 15, 48, 15] });
});
