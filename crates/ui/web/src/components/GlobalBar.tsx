import type { Field } from '../api';
import { asDiscoverState, type GlobalState, globalToUrl, urlToGlobal } from '../lib/global';
import { FilterBar } from '../pages/discover/FilterBar';
import { QueryBar } from '../pages/discover/QueryBar';
import { navigate } from '../router';

export interface GlobalBarProps {
  global: GlobalState;
  /** Page-specific URL keys kept when the global state changes. */
  pageKeys: () => Record<string, string | null>;
  fields: Field[];
  label: string;
  onRefresh: () => void;
}

/** Applies a change to the global state in the URL (pushState: back/forward navigate). */
export function updateGlobal(patch: Partial<GlobalState>, pageKeys: Record<string, string | null>, defaults?: Partial<GlobalState>): void {
  const current = urlToGlobal(window.location.search, defaults);
  navigate(`${window.location.pathname}${globalToUrl({ ...current, ...patch }, pageKeys)}`);
}

/** Discover's query bar (query, language, time range, refresh) and filter bar, for Visualize and
 * Dashboard: the state they edit is the page's URL. */
export function GlobalBar({ global, pageKeys, fields, label, onRefresh }: GlobalBarProps) {
  const apply = (patch: Partial<GlobalState>): void => updateGlobal(patch, pageKeys(), global);
  return (
    <>
      <QueryBar
        state={asDiscoverState(global)}
        label={label}
        timeBased
        onChange={(p) => {
          const { query, language, from, to, refresh, filters } = p;
          apply(Object.fromEntries(Object.entries({ query, language, from, to, refresh, filters }).filter(([, v]) => v !== undefined)));
        }}
        onRefresh={onRefresh}
      />
      <FilterBar filters={global.filters} fields={fields} onChange={(filters) => apply({ filters })} />
    </>
  );
}
