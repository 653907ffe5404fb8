import { afterEach, describe, expect, it } from 'vitest';
import {
  barAt,
  barsToRange,
  brushPixelsToRange,
  brushToRange,
  bucketEnd,
  describeBar,
  describeHistogram,
  formatCount,
  histogramGeometry,
  MARGIN,
  niceStep,
  plotArea,
  tickLabel,
  timeTicks,
  xToTime,
} from './histogram';
import { formatNumber, formatTime } from './format';
import { autoInterval, type Interval } from './interval';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const HALF_HOUR: Interval = { name: '30m', ms: 30 * M, label: '30 minutes' };

describe('histogramGeometry', () => {
  const buckets = [
    { key: 0, count: 3 },
    { key: 30 * M, count: 0 },
    { key: 60 * M, count: 1234 },
  ];
  // 90 minutes over a 300 px plot: 100 px per bucket
  const g = histogramGeometry({ buckets, interval: HALF_HOUR, from: 0, to: 90 * M, width: 300 + MARGIN.left + MARGIN.right, height: 160 });

  it('puts the plot inside the margins', () => {
    expect(g.plot).toEqual({ left: 48, top: 12, width: 300, height: 120 });
  });

  it('spans each bar over its bucket, less a 10% gap, standing on the axis', () => {
    expect(g.bars.map((b) => [b.key, b.end, b.x, b.width])).toEqual([
      [0, 30 * M, 53, 90],
      [30 * M, 60 * M, 153, 90],
      [60 * M, 90 * M, 253, 90],
    ]);
    for (const b of g.bars) expect(b.y + b.height).toBe(132);
    expect(g.bars.map((b) => [b.slotStart, b.slotEnd])).toEqual([[48, 148], [148, 248], [248, 348]]);
  });

  it('scales counts to a rounded maximum, one visible pixel at least', () => {
    // max 1234: steps of 500 up to 1500
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 500, 1000, 1500]);
    expect(g.yTicks.map((t) => t.pos)).toEqual([132, 92, 52, 12]);
    expect(g.bars[2]!.height).toBeCloseTo((1234 / 1500) * 120, 6);
    expect(g.bars[0]!.height).toBe(1); // 3 / 1500 × 120 px = 0.24 px
    expect(g.bars[1]!.height).toBe(0);
  });

  it('clips buckets to the shown range and drops those outside it', () => {
    const clipped = histogramGeometry({
      buckets: [{ key: -30 * M, count: 1 }, { key: 0, count: 2 }, { key: 90 * M, count: 5 }],
      interval: HALF_HOUR,
      from: 15 * M,
      to: 60 * M,
      width: 300 + 64,
      height: 160,
    });
    // only [0, 30m) overlaps [15m, 60m]; it starts before the plot: cut at its left edge
    expect(clipped.bars.map((b) => [b.key, b.x, b.slotStart, b.slotEnd])).toEqual([[0, 48, 48, 148]]);
  });

  it('draws an empty answer as an empty plot with a 0..1 scale', () => {
    const empty = histogramGeometry({ buckets: [], interval: HALF_HOUR, from: 0, to: H, width: 800, height: 160 });
    expect(empty.bars).toEqual([]);
    expect(empty.yTicks.map((t) => t.label)).toEqual(['0', '1']);
  });

  it('ends calendar buckets on the next UTC month or year', () => {
    const month = { name: '1M', ms: 30 * D, label: 'month' };
    expect(bucketEnd(Date.UTC(2026, 1, 1), month)).toBe(Date.UTC(2026, 2, 1));
    expect(bucketEnd(Date.UTC(2026, 11, 1), month)).toBe(Date.UTC(2027, 0, 1));
    expect(bucketEnd(Date.UTC(2026, 0, 1), { name: '1y', ms: 365 * D, label: 'year' })).toBe(Date.UTC(2027, 0, 1));
    expect(bucketEnd(Date.UTC(2026, 0, 5), { name: '1w', ms: 7 * D, label: 'week' })).toBe(Date.UTC(2026, 0, 12));
    expect(bucketEnd(1000, HALF_HOUR)).toBe(1000 + 30 * M);
  });
});

describe('the count axis', () => {
  it.each([
    [0, 1],
    [3, 1],
    [4, 1],
    [9, 5],
    [40, 10],
    [1234, 500],
    [25_000, 10_000],
    [210_000, 100_000],
  ])('max %d steps by %d', (max, step) => {
    expect(niceStep(max)).toBe(step);
  });

  it.each([
    [0, '0'],
    [9_500, '9,500'],
    [25_000, '25k'],
    [12_500, '12.5k'],
    [1_500_000, '1.5M'],
    [2_000_000, '2M'],
  ])('labels %d as %s', (n, label) => {
    expect(formatCount(n)).toBe(label);
  });
});

describe('the time axis', () => {
  const plot = plotArea(800, 160); // 736 px wide

  it('labels 24 hours every 2 hours, with the date at midnight', () => {
    const from = Date.UTC(2026, 11, 4, 12, 0);
    const ticks = timeTicks(from, from + D, plot);
    expect(ticks.map((t) => t.label)).toEqual([
      '12:00', '14:00', '16:00', '18:00', '20:00', '22:00', 'Dec 5', '02:00', '04:00', '06:00', '08:00', '10:00', '12:00',
    ]);
    expect(ticks[0]!.pos).toBe(48);
    expect(ticks[12]!.pos).toBe(48 + 736);
  });

  it('keeps labels apart at any width', () => {
    const from = Date.UTC(2026, 11, 4, 12, 7, 13);
    for (const width of [200, 400, 800, 1600]) {
      for (const span of [5 * M, H, D, 7 * D, 90 * D, 3 * 365 * D]) {
        const ticks = timeTicks(from, from + span, plotArea(width, 160));
        for (let i = 1; i < ticks.length; i++) {
          // centre to centre: half of each label (7 px a character) and 8 px between them
          const room = ticks[i]!.pos - ticks[i - 1]!.pos;
          expect(room).toBeGreaterThanOrEqual(((ticks[i]!.label.length + ticks[i - 1]!.label.length) / 2) * 7 + 8);
        }
        for (const t of ticks) expect(t.value).toBeGreaterThanOrEqual(from);
      }
    }
  });

  it('names the coarsest unit that changes at a tick', () => {
    expect(tickLabel(Date.UTC(2026, 11, 4, 15, 30), 'minute')).toBe('15:30');
    expect(tickLabel(Date.UTC(2026, 11, 4, 15, 30, 5), 'second')).toBe('15:30:05');
    expect(tickLabel(Date.UTC(2026, 11, 5), 'hour')).toBe('Dec 5');
    expect(tickLabel(Date.UTC(2027, 0, 1), 'hour')).toBe('2027');
    expect(tickLabel(Date.UTC(2026, 4, 1), 'month')).toBe('May');
    expect(tickLabel(Date.UTC(2026, 0, 1), 'year')).toBe('2026');
  });

  it('follows weeks and months on the calendar', () => {
    const from = Date.UTC(2026, 0, 1);
    const weeks = timeTicks(from, Date.UTC(2026, 2, 1), plotArea(400, 160));
    expect(weeks.map((t) => t.label)).toEqual(['2026', 'Jan 15', 'Feb 1', 'Feb 15', 'Mar 1']);
    const months = timeTicks(from, Date.UTC(2027, 0, 1), plotArea(800, 160));
    expect(months.map((t) => t.label)).toEqual(['2026', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', '2027']);
  });

  describe("in the browser's time zone", () => {
    const saved = process.env.TZ;
    afterEach(() => {
      process.env.TZ = saved;
    });

    it('puts ticks on local hours and the date on local midnight (UTC+05:30)', () => {
      process.env.TZ = 'Asia/Kolkata';
      const from = Date.UTC(2026, 11, 4, 12, 0); // 17:30 local
      const ticks = timeTicks(from, from + D, plot);
      expect(ticks[0]!.value).toBe(Date.UTC(2026, 11, 4, 12, 30)); // 18:00 local
      expect(ticks.map((t) => t.label).slice(0, 5)).toEqual(['18:00', '20:00', '22:00', 'Dec 5', '02:00']);
    });

    it('keeps local labels across a daylight saving change (Europe/Paris)', () => {
      process.env.TZ = 'Europe/Paris';
      const from = Date.UTC(2026, 2, 28, 12, 0); // Mar 28, 13:00 local; clocks go forward on Mar 29
      const ticks = timeTicks(from, from + D, plot);
      expect(ticks.map((t) => t.label)).toContain('Mar 29');
      expect(ticks.map((t) => t.label).every((l) => /^(\d\d:\d\d|Mar 29)$/.test(l))).toBe(true);
    });
  });
});

describe('pointer and keyboard', () => {
  const interval = autoInterval(D); // 30 minutes
  const from = Date.UTC(2026, 11, 4, 12, 0);
  const to = from + D;
  const buckets = Array.from({ length: 48 }, (_, i) => ({ key: from + i * interval.ms, count: i }));
  const g = histogramGeometry({ buckets, interval, from, to, width: 800, height: 160 });

  it('turns pixels back into times', () => {
    expect(xToTime(48, from, to, g.plot)).toBe(from);
    expect(xToTime(48 + 736, from, to, g.plot)).toBe(to);
    expect(xToTime(48 + 368, from, to, g.plot)).toBe(from + D / 2);
  });

  it('brushes a dragged span (either way), clamped to the shown range', () => {
    expect(brushPixelsToRange(48 + 368, 48 + 184, from, to, g.plot)).toEqual({ from: from + D / 4, to: from + D / 2 });
    expect(brushPixelsToRange(0, 2000, from, to, g.plot)).toEqual({ from, to });
    expect(brushPixelsToRange(100, 101.5, from, to, g.plot)).toBeNull(); // a click, not a drag
  });

  it('finds the bar under the pointer by its slot', () => {
    expect(barAt(g.bars, 48)).toBe(0);
    expect(barAt(g.bars, 48 + 736 / 48 + 0.5)).toBe(1);
    expect(barAt(g.bars, 48 + 735.9)).toBe(47);
    expect(barAt(g.bars, 20)).toBe(-1);
    expect(barAt(g.bars, 790)).toBe(-1);
  });

  it('zooms to bars, in either order, up to the last millisecond of the last bucket', () => {
    expect(barsToRange(g.bars, 2, 2, from, to)).toEqual({ from: from + 60 * M, to: from + 90 * M - 1 });
    expect(barsToRange(g.bars, 5, 3, from, to)).toEqual({ from: from + 90 * M, to: from + 180 * M - 1 });
    expect(barsToRange(g.bars, 0, 99, from, to)).toBeNull();
  });

  it('keeps the old coordinate brush', () => {
    expect(brushToRange([200.4, 100.6], 0, 1000)).toEqual({ from: 101, to: 200 });
    expect(brushToRange([-50, 2000], 0, 1000)).toEqual({ from: 0, to: 1000 });
    expect(brushToRange([5, 5], 0, 1000)).toBeNull();
    expect(brushToRange([], 0, 1000)).toBeNull();
  });
});

describe('words', () => {
  it('says a bar for the tooltip and screen readers', () => {
    expect(describeBar({ key: Date.UTC(2026, 11, 5, 10), count: 1234 })).toBe('Dec 5, 2026 @ 10:00:00.000: 1,234 hits');
    expect(describeBar({ key: Date.UTC(2026, 11, 5, 10), count: 1 })).toBe('Dec 5, 2026 @ 10:00:00.000: 1 hit');
  });

  it('describes the whole chart in a sentence', () => {
    const from = Date.UTC(2026, 11, 4, 12);
    const text = describeHistogram(
      [{ key: from, count: 5 }, { key: from + 30 * M, count: 20 }],
      HALF_HOUR,
      from,
      from + H,
    );
    expect(text).toBe(
      `Bar chart of hits per 30 minutes from ${formatTime(from)} to ${formatTime(from + H)}, 2 bars, 25 hits in all. The most, 20, at ${formatTime(from + 30 * M)}.`,
    );
    expect(describeHistogram([], HALF_HOUR, from, from + H)).toContain('no buckets');
  });
});

describe('format', () => {
  it('groups numbers and writes Kibana times', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatTime(Date.UTC(2026, 11, 4, 15, 7, 3, 5))).toBe('Dec 4, 2026 @ 15:07:03.005');
  });
});
