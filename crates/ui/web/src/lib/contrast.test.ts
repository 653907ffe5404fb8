import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contrastRatio } from './contrast';

const css = readFileSync(new URL('../styles.css', import.meta.url), 'utf8');
const vars = new Map([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1]!, m[2]!]));
const color = (name: string): string => {
  const v = vars.get(name);
  if (!v) throw new Error(`--${name} is not defined in styles.css`);
  return v;
};

/** Every text/background pair the stylesheet uses. */
const PAIRS: Array<[text: string, background: string]> = [
  ['text', 'bg'], ['text', 'bg-subtle'], ['text', 'bg-selected'], ['text', 'mark-bg'], ['text', 'danger-bg'],
  ['text-subdued', 'bg'], ['text-subdued', 'bg-subtle'],
  ['primary', 'bg'], ['primary', 'bg-subtle'], ['primary', 'bg-selected'],
  ['on-primary', 'primary'], ['on-primary', 'danger'],
  ['danger', 'bg'], ['danger', 'bg-subtle'], ['danger', 'danger-bg'],
  ['warning-text', 'bg'], ['warning-text', 'warning-bg'],
  ['header-text', 'header-bg'], ['header-link', 'header-bg'],
  ['negated-text', 'negated-bg'],
];

describe('palette contrast (WCAG AA, 4.5:1 for text)', () => {
  it.each(PAIRS)('%s on %s', (fg, bg) => {
    expect(contrastRatio(color(fg), color(bg))).toBeGreaterThanOrEqual(4.5);
  });

  // WCAG 1.4.11: the histogram's bars (at rest and active) and axis lines read against the page at 3:1.
  it.each([['primary', 'bg'], ['primary-dark', 'bg'], ['text-subdued', 'bg']])('graphic %s on %s at 3:1', (fg, bg) => {
    expect(contrastRatio(color(fg), color(bg))).toBeGreaterThanOrEqual(3);
  });

  it('computes known ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});
