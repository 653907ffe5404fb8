import { describe, expect, it } from 'vitest';
import { allIntervals, autoInterval, MAX_BARS } from './interval';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function check(duration: number, expected: string): void {
  expect(autoInterval(duration).name, `${duration} ms`).toBe(expected);
}

describe('autoInterval', () => {
  it('matches Kibana for the quick ranges', () => {
    check(15 * M, '30s');
    check(30 * M, '30s');
    check(1 * H, '1m');
    check(4 * H, '5m');
    check(24 * H, '30m');
    check(7 * D, '3h');
    check(30 * D, '12h');
    check(90 * D, '1d');
    check(365 * D, '1w');
    check(5 * 365 * D, '1M');
    check(50 * 365 * D, '1y');
  });

  it('handles tiny and empty ranges', () => {
    check(0, '1s');
    check(10 * S, '1s');
    check(-5, '1s');
  });

  it('never exceeds the maximum number of bars below a year interval', () => {
    for (let duration = S; duration < 20 * 365 * D; duration = Math.ceil(duration * 1.07)) {
      const interval = autoInterval(duration);
      if (interval.name !== '1y') expect(duration / interval.ms, `${duration}`).toBeLessThanOrEqual(MAX_BARS);
      if (duration >= 50 * S && interval.name !== '1y') {
        expect(duration / interval.ms, `${duration}`).toBeGreaterThanOrEqual(BAR_MIN);
      }
    }
  });

  it('offers only the documented interval names, ascending', () => {
    const names = allIntervals().map((i) => i.name);
    expect(names).toEqual(['1s', '5s', '10s', '30s', '1m', '5m', '10m', '30m', '1h', '3h', '12h', '1d', '1w', '1M', '1y']);
    const ms = allIntervals().map((i) => i.ms);
    expect([...ms].sort((a, b) => a - b)).toEqual(ms);
  });
});

/** Nearest-interval rounding can land a little under half the target of 50 buckets. */
const BAR_MIN = 10;
