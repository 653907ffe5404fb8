import type { TargetedEvent } from 'preact';
import { useId } from 'preact/hooks';
import { QUICK_RANGES, quickRangeLabel } from '../../lib/quickRanges';

export interface TimeRangeProps {
  from: string;
  to: string;
  draftFrom: string;
  draftTo: string;
  fromInvalid: boolean;
  toInvalid: boolean;
  onDraft: (which: 'from' | 'to', value: string) => void;
  onQuick: (from: string, to: string) => void;
}

/** Kibana's time picker, flattened: quick ranges, and start/end fields taking date math or ISO dates
 * (applied with the query bar's Update button or Enter). */
export function TimeRange({ from, to, draftFrom, draftTo, fromInvalid, toInvalid, onDraft, onQuick }: TimeRangeProps) {
  const id = useId();
  const quick = quickRangeLabel(from, to);
  const onSelect = (e: TargetedEvent<HTMLSelectElement>): void => {
    const value = e.currentTarget.value;
    if (value === '') return;
    onQuick(value, value === 'now/d' ? 'now/d' : 'now');
  };
  const invalid = fromInvalid || toInvalid;
  return (
    <div role="group" aria-label="Time range" class="time-range">
      <select aria-label="Quick ranges" value={quick ? QUICK_RANGES.find((r) => r.label === quick)!.from : ''} onChange={onSelect}>
        {!quick && (
          <option value="" disabled>
            Custom range
          </option>
        )}
        {QUICK_RANGES.map((r) => (
          <option key={r.from} value={r.from}>
            {r.label}
          </option>
        ))}
      </select>
      <input
        type="text"
        class="date-input"
        aria-label="Start date"
        value={draftFrom}
        aria-invalid={fromInvalid}
        aria-describedby={invalid ? `${id}-err` : `${id}-help`}
        spellcheck={false}
        onInput={(e) => onDraft('from', e.currentTarget.value)}
      />
      <span aria-hidden="true" class="arrow">
        →
      </span>
      <input
        type="text"
        class="date-input"
        aria-label="End date"
        value={draftTo}
        aria-invalid={toInvalid}
        aria-describedby={invalid ? `${id}-err` : `${id}-help`}
        spellcheck={false}
        onInput={(e) => onDraft('to', e.currentTarget.value)}
      />
      <span id={`${id}-help`} class="visually-hidden">
        Date math such as now-1h or now/d, or an ISO date such as 2026-12-04T12:00:00Z
      </span>
      {invalid && (
        <span id={`${id}-err`} class="field-error">
          {fromInvalid ? 'Invalid start date' : 'Invalid end date'} (use date math such as now-1h, or an ISO date)
        </span>
      )}
    </div>
  );
}
