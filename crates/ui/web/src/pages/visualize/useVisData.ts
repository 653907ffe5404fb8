import { useEffect, useState } from 'preact/hooks';
import { ApiError, visData, type VisTable } from '../../api';
import { dataRequest, type GlobalState } from '../../lib/global';
import { specProblems, type VisSpec } from '../../lib/vis/spec';
import { asApiError } from '../discover/useSearch';

/** How long the editor waits after the last change before asking for data. */
export const DEBOUNCE_MS = 300;

export interface VisData {
  table: VisTable | null;
  error: ApiError | null;
  loading: boolean;
  /** The spec the table was computed for (the chart draws it with that spec's type and params). */
  spec: VisSpec | null;
}

/** The editor's live result: POST /api/vis/data, debounced, the previous request aborted. */
export function useVisData(spec: VisSpec | null, global: GlobalState, tick: number): VisData {
  const [out, setOut] = useState<VisData>({ table: null, error: null, loading: false, spec: null });
  const problems = spec ? specProblems(spec) : ['no spec'];
  const key = spec && problems.length === 0 ? JSON.stringify(spec) : null;
  useEffect(() => {
    if (!spec || key === null) return undefined;
    const ctrl = new AbortController();
    setOut((o) => ({ ...o, loading: true }));
    const timer = window.setTimeout(() => {
      const body = dataRequest(global, Date.now());
      if (!body) {
        setOut((o) => ({ ...o, loading: false, error: new ApiError(400, 'bad_request', 'the time range is not valid') }));
        return;
      }
      visData({ ...body, spec }, ctrl.signal)
        .then((table) => setOut({ table, error: null, loading: false, spec }))
        .catch((e: unknown) => {
          if (ctrl.signal.aborted) return;
          setOut((o) => ({ ...o, error: asApiError(e), loading: false }));
        });
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [key, global.query, global.language, global.from, global.to, JSON.stringify(global.filters), tick]);
  return out;
}
