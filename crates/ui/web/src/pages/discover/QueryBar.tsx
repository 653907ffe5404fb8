import { useEffect, useState } from 'preact/hooks';
import type { DataView } from '../../api';
import { parseDateMath } from '../../lib/datemath';
import { type DiscoverState, type Language, REFRESH_INTERVALS, type RefreshInterval } from '../../lib/state';
import { TimeRange } from './TimeRange';

export interface QueryBarProps {
  state: DiscoverState;
  /** The data view picker's choices (Discover); none: no picker (Visualize, Dashboard). */
  dataViews?: DataView[] | undefined;
  /** The search form's accessible name (default "Discover query"). */
  label?: string;
  /** The data view has a time field (otherwise no time range is shown). */
  timeBased: boolean;
  onChange: (patch: Partial<DiscoverState>) => void;
  /** Submitted with nothing changed: search again (relative times re-resolved). */
  onRefresh: () => void;
}

function validDate(text: string, roundUp: boolean): boolean {
  return parseDateMath(text, { now: Date.now(), roundUp }) !== null;
}

/** Data view picker, query (KQL or Lucene), time range and refresh interval; Enter or Update applies. */
export function QueryBar({ state, dataViews, label = 'Discover query', timeBased, onChange, onRefresh }: QueryBarProps) {
  const [query, setQuery] = useState(state.query);
  const [from, setFrom] = useState(state.from);
  const [to, setTo] = useState(state.to);
  // The URL changed under us (back/forward, a saved search, a brush): show what it says.
  useEffect(() => setQuery(state.query), [state.query]);
  useEffect(() => setFrom(state.from), [state.from]);
  useEffect(() => setTo(state.to), [state.to]);

  const fromInvalid = !validDate(from, false);
  const toInvalid = !validDate(to, true) || (!fromInvalid && parseDateMath(to, { now: Date.now(), roundUp: true })! < parseDateMath(from, { now: Date.now() })!);
  const dirty = query !== state.query || (timeBased && (from !== state.from || to !== state.to));

  const submit = (e: Event): void => {
    e.preventDefault();
    if (timeBased && (fromInvalid || toInvalid)) return;
    if (!dirty) {
      onRefresh();
      return;
    }
    onChange(timeBased ? { query, from: from.trim(), to: to.trim() } : { query });
  };

  return (
    <form role="search" aria-label={label} class="query-bar" onSubmit={submit}>
      <div class="query-row">
        {dataViews && (
        <select
          aria-label="Data view"
          class="data-view-picker"
          value={state.dv ?? ''}
          onChange={(e) => onChange({ dv: e.currentTarget.value, columns: [] })}
        >
          {dataViews.map((dv) => (
            <option key={dv.id} value={dv.id}>
              {dv.title}
            </option>
          ))}
        </select>
        )}
        <input
          type="search"
          class="query-input"
          aria-label="Search"
          placeholder={state.language === 'kuery' ? 'Filter your data using KQL syntax' : 'Filter your data using Lucene syntax'}
          value={query}
          spellcheck={false}
          autocomplete="off"
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <select
          aria-label="Query language"
          class="language-picker"
          value={state.language}
          onChange={(e) => onChange({ language: e.currentTarget.value as Language, query })}
        >
          <option value="kuery">KQL</option>
          <option value="lucene">Lucene</option>
        </select>
      </div>
      <div class="query-row">
        {timeBased && (
          <TimeRange
            from={state.from}
            to={state.to}
            draftFrom={from}
            draftTo={to}
            fromInvalid={fromInvalid}
            toInvalid={toInvalid}
            onDraft={(which, value) => (which === 'from' ? setFrom(value) : setTo(value))}
            onQuick={(f, t) => onChange({ from: f, to: t, query })}
          />
        )}
        <label class="refresh-picker">
          <span>Refresh every</span>
          <select value={state.refresh} onChange={(e) => onChange({ refresh: e.currentTarget.value as RefreshInterval })}>
            {REFRESH_INTERVALS.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class={dirty ? 'button button-primary' : 'button'} disabled={timeBased && (fromInvalid || toInvalid)}>
          {dirty ? 'Update' : 'Refresh'}
        </button>
      </div>
    </form>
  );
}
