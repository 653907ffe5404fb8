import { describe, expect, it } from 'vitest';
import { resolveRange } from './datemath';
import { QUICK_RANGES, quickRangeLabel } from './quickRanges';

describe('quick ranges', () => {
  it('names the ranges the picker offers, and nothing else', () => {
    expect(quickRangeLabel('now-15m', 'now')).toBe('Last 15 minutes');
    expect(quickRangeLabel('now-7d', 'now')).toBe('Last 7 days');
    expect(quickRangeLabel('now/d', 'now/d')).toBe('Today');
    expect(quickRangeLabel('now-15m', 'now-1m')).toBeNull();
    expect(quickRangeLabel('2026-12-04T00:00:00.000Z', 'now')).toBeNull();
    expect(quickRangeLabel('now/d', 'now')).toBeNull();
  });

  it('all resolve to a non-empty range', () => {
    const now = Date.UTC(2026, 11, 4, 12);
    for (const r of QUICK_RANGES) {
      const range = resolveRange(r.from, r.from === 'now/d' ? 'now/d' : 'now', now);
      expect(range, r.label).not.toBeNull();
      expect(range!.to - range!.from, r.label).toBeGreaterThan(0);
    }
    expect(QUICK_RANGES.map((r) => r.label).slice(0, 7)).toEqual([
      'Last 15 minutes', 'Last 30 minutes', 'Last 1 hour', 'Last 4 hours', 'Last 24 hours', 'Last 7 days', 'Last 30 days',
    ]);
  });
});
