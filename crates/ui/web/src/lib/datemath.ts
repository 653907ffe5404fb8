// Elasticsearch/Kibana date math, resolved in the browser (the API carries epoch milliseconds).
//
//   now                 the current instant
//   now-15m, now+1h     plus/minus an amount of a unit (y M w d h H m s ms)
//   now/d, now-1d/d     rounded to the start (or, with roundUp, the end) of the unit
//   2026-12-04T12:00:00Z, 2026-12-04  absolute (ISO 8601; no zone = local time)
//   2026-12-04||-1d/d   an absolute anchor followed by math
//
// Rounding and calendar arithmetic use the browser's time zone, as Kibana does with its default
// `dateFormat:tz` ("Browser").

export type Unit = 'y' | 'M' | 'w' | 'd' | 'h' | 'm' | 's' | 'ms';

export interface ParseOptions {
  /** The instant `now` stands for (epoch ms). */
  now: number;
  /** Round `/unit` to the unit's last millisecond instead of its first (for the end of a range). */
  roundUp?: boolean;
}

const UNITS: Record<string, Unit> = {
  y: 'y', M: 'M', w: 'w', d: 'd', h: 'h', H: 'h', m: 'm', s: 's', ms: 'ms',
};

/** Unit letters in the order a math expression may name them (longest first for `ms`). */
const UNIT_RE = /^(ms|[yMwdhHms])/;

/** Parses an ISO 8601 date or date-time; `null` when `text` is not one. */
export function parseIso(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60) {
    return null;
  }
  if (zone === undefined) {
    const local = new Date(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]);
    return local.getDate() === parts[2] ? local.getTime() : null;
  }
  const utc = Date.UTC(...parts);
  if (new Date(utc).getUTCDate() !== parts[2]) return null;
  if (zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return utc - sign * offsetMin * 60_000;
}

function add(date: Date, amount: number, unit: Unit): void {
  switch (unit) {
    case 'y':
      date.setFullYear(date.getFullYear() + amount);
      return;
    case 'M':
      date.setMonth(date.getMonth() + amount);
      return;
    case 'w':
      date.setDate(date.getDate() + 7 * amount);
      return;
    case 'd':
      date.setDate(date.getDate() + amount);
      return;
    case 'h':
      date.setTime(date.getTime() + amount * 3_600_000);
      return;
    case 'm':
      date.setTime(date.getTime() + amount * 60_000);
      return;
    case 's':
      date.setTime(date.getTime() + amount * 1000);
      return;
    case 'ms':
      date.setTime(date.getTime() + amount);
      return;
  }
}

function startOf(date: Date, unit: Unit): void {
  switch (unit) {
    case 'y':
      date.setMonth(0, 1);
      date.setHours(0, 0, 0, 0);
      return;
    case 'M':
      date.setDate(1);
      date.setHours(0, 0, 0, 0);
      return;
    case 'w': {
      // ISO weeks start on Monday, as in Elasticsearch.
      const back = (date.getDay() + 6) % 7;
      date.setDate(date.getDate() - back);
      date.setHours(0, 0, 0, 0);
      return;
    }
    case 'd':
      date.setHours(0, 0, 0, 0);
      return;
    case 'h':
      date.setMinutes(0, 0, 0);
      return;
    case 'm':
      date.setSeconds(0, 0);
      return;
    case 's':
      date.setMilliseconds(0);
      return;
    case 'ms':
      return;
  }
}

function round(date: Date, unit: Unit, roundUp: boolean): void {
  startOf(date, unit);
  if (roundUp) {
    add(date, 1, unit);
    date.setTime(date.getTime() - 1);
  }
}

/** Applies `-1d/d`-style math to `date`; `false` when the expression is malformed. */
function applyMath(date: Date, math: string, roundUp: boolean): boolean {
  let i = 0;
  while (i < math.length) {
    const op = math[i];
    i += 1;
    if (op === '/') {
      const unit = UNIT_RE.exec(math.slice(i));
      if (!unit) return false;
      round(date, UNITS[unit[1]!]!, roundUp);
      i += unit[1]!.length;
    } else if (op === '+' || op === '-') {
      const num = /^\d*/.exec(math.slice(i))![0];
      i += num.length;
      const unit = UNIT_RE.exec(math.slice(i));
      if (!unit) return false;
      const amount = num === '' ? 1 : Number(num);
      add(date, op === '-' ? -amount : amount, UNITS[unit[1]!]!);
      i += unit[1]!.length;
    } else {
      return false;
    }
  }
  return true;
}

/** Resolves date math to epoch milliseconds; `null` when `text` is not valid date math. */
export function parseDateMath(text: string, { now, roundUp = false }: ParseOptions): number | null {
  const input = text.trim();
  if (input === '') return null;
  let anchor: number | null;
  let math: string;
  if (input.startsWith('now')) {
    anchor = now;
    math = input.slice(3);
  } else {
    const bars = input.indexOf('||');
    if (bars >= 0) {
      anchor = parseIso(input.slice(0, bars));
      math = input.slice(bars + 2);
    } else {
      anchor = /^-?\d+$/.test(input) ? Number(input) : parseIso(input);
      math = '';
    }
  }
  if (anchor === null || !Number.isFinite(anchor)) return null;
  const date = new Date(anchor);
  if (!applyMath(date, math, roundUp)) return null;
  const ms = date.getTime();
  return Number.isFinite(ms) ? ms : null;
}

export interface ResolvedRange {
  from: number;
  to: number;
}

/** Resolves a time picker range; `null` for invalid input or an empty/negative range. */
export function resolveRange(from: string, to: string, now: number): ResolvedRange | null {
  const start = parseDateMath(from, { now });
  const end = parseDateMath(to, { now, roundUp: true });
  if (start === null || end === null || end < start) return null;
  return { from: start, to: end };
}
