import { describe, expect, test } from 'vitest';
import { contrastRatio } from '../contrast';
import { DARK_LABEL, HEAT_SCALE, LIGHT_LABEL, labelColor, OTHER_COLOR, PALETTE, paletteColor } from './palette';

describe('labelColor', () => {
  test.each([
    ['#ffffff', DARK_LABEL],
    ['#fce186', DARK_LABEL],
    ['#54b399', DARK_LABEL],
    ['#000000', LIGHT_LABEL],
    ['#173f6b', LIGHT_LABEL],
    ['#1d1e24', LIGHT_LABEL],
  ])('on %s it is %s', (bg, expected) => {
    expect(labelColor(bg)).toBe(expected);
  });

  test('every palette, heat-scale and Other colour gets a label at WCAG AA (4.5:1)', () => {
    for (const bg of [...PALETTE, ...HEAT_SCALE, OTHER_COLOR]) {
      expect(contrastRatio(labelColor(bg), bg), bg).toBeGreaterThanOrEqual(4.5);
    }
  });

  test('white labels on the light slices would fail (the bug this fixes)', () => {
    const failing = PALETTE.filter((c) => contrastRatio(LIGHT_LABEL, c) < 4.5);
    expect(failing.length).toBeGreaterThan(0);
    for (const c of failing) expect(labelColor(c)).toBe(DARK_LABEL);
  });
});

test('paletteColor repeats the palette', () => {
  expect(paletteColor(0)).toBe(PALETTE[0]);
  expect(paletteColor(PALETTE.length + 2)).toBe(PALETTE[2]);
});
