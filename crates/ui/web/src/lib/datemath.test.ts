import { describe, expect, it } from 'vitest';
import { parseDateMath, parseIso, resolveRange } from './datemath';

// vite.config.ts runs the tests with TZ=UTC, so local time is UTC here.
const NOW = Date.UTC(2026, 11, 4, 15, 27, 43, 512); // Friday 2026-12-04T15:27:43.512Z

function check(text: string, expected: string | null, roundUp = false): void {
  const got = parseDateMath(text, { now: NOW, roundUp });
  expect(got === null ? null : new Date(got).toISOString(), `${text} (roundUp ${roundUp})`).toBe(expected);
}

describe('parseDateMath', () => {
  it('resolves now and its arithmetic', () => {
    check('now', '2026-12-04T15:27:43.512Z');
    check(' now ', '2026-12-04T15:27:43.512Z');
    check('now-15m', '2026-12-04T15:12:43.512Z');
    check('now-1h', '2026-12-04T14:27:43.512Z');
    check('now+2H', '2026-12-04T17:27:43.512Z');
    check('now-24h', '2026-12-03T15:27:43.512Z');
    check('now-7d', '2026-11-27T15:27:43.512Z');
    check('now-1w', '2026-11-27T15:27:43.512Z');
    check('now-1M', '2026-11-04T15:27:43.512Z');
    check('now-1y', '2025-12-04T15:27:43.512Z');
    check('now-30s', '2026-12-04T15:27:13.512Z');
    check('now-500ms', '2026-12-04T15:27:43.012Z');
    check('now-1d-12h', '2026-12-03T03:27:43.512Z');
    check('now-d', '2026-12-03T15:27:43.512Z');
  });

  it('rounds down, or up to the last millisecond of the unit', () => {
    check('now/d', '2026-12-04T00:00:00.000Z');
    check('now/d', '2026-12-04T23:59:59.999Z', true);
    check('now-1d/d', '2026-12-03T00:00:00.000Z');
    check('now/h', '2026-12-04T15:00:00.000Z');
    check('now/m', '2026-12-04T15:27:00.000Z');
    check('now/s', '2026-12-04T15:27:43.000Z');
    check('now/M', '2026-12-01T00:00:00.000Z');
    check('now/M', '2026-12-31T23:59:59.999Z', true);
    check('now/y', '2026-01-01T00:00:00.000Z');
    check('now/w', '2026-11-30T00:00:00.000Z'); // Monday
    check('now/w', '2026-12-06T23:59:59.999Z', true);
    check('now/d+1h', '2026-12-04T01:00:00.000Z');
  });

  it('reads absolute dates and anchors', () => {
    check('2026-12-04T12:00:00Z', '2026-12-04T12:00:00.000Z');
    check('2026-12-04T12:00:00.123Z', '2026-12-04T12:00:00.123Z');
    check('2026-12-04T12:00:00+02:00', '2026-12-04T10:00:00.000Z');
    check('2026-12-04T12:00', '2026-12-04T12:00:00.000Z');
    check('2026-12-04', '2026-12-04T00:00:00.000Z');
    check('2026-12-04 08:30:00', '2026-12-04T08:30:00.000Z');
    check('2026-12-04||-1d', '2026-12-03T00:00:00.000Z');
    check('2026-12-04T10:11:12Z||/h', '2026-12-04T10:00:00.000Z');
    check('1764800000000', '2025-12-03T22:13:20.000Z');
  });

  it('refuses what is not date math', () => {
    for (const bad of ['', 'yesterday', 'now-', 'now-1x', 'now/', 'now*2', '2026-13-01', '2026-02-30', 'nowx', '||-1d']) {
      check(bad, null);
    }
  });
});

describe('parseIso', () => {
  it('is null for garbage', () => {
    expect(parseIso('12/04/2026')).toBeNull();
    expect(parseIso('2026-12-04T25:00')).toBeNull();
  });
});

describe('resolveRange', () => {
  it('rounds the end up and refuses inverted ranges', () => {
    expect(resolveRange('now/d', 'now/d', NOW)).toEqual({
      from: Date.UTC(2026, 11, 4),
      to: Date.UTC(2026, 11, 5) - 1,
    });
    expect(resolveRange('now', 'now-1h', NOW)).toBeNull();
    expect(resolveRange('now-1h', 'soon', NOW)).toBeNull();
  });
});
