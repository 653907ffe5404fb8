// Formatting for what the user reads: numbers (en-US grouping), times (Kibana's default
// `MMM D, YYYY @ HH:mm:ss.SSS` in the browser's time zone), field values.

const NUMBER = new Intl.NumberFormat('en-US');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatNumber(n: number): string {
  return NUMBER.format(n);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `Dec 4, 2026 @ 15:27:43.512` (local time). */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()} @ ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A timestamp field's value (ISO string or epoch ms) as epoch ms, or null. */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** A field value as one line of text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** An ISO string (UTC, milliseconds) for an absolute range bound in the URL. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
