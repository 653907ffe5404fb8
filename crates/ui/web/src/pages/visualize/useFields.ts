import { useEffect, useState } from 'preact/hooks';
import { type DataView, type Field, fields as fetchFields, listDataViews } from '../../api';

const cache = new Map<string, Promise<Field[]>>();

/** A data view pattern's fields (cached for the session; a failure is retried next time). */
export function fieldsOf(pattern: string): Promise<Field[]> {
  let p = cache.get(pattern);
  if (!p) {
    p = fetchFields(pattern).then((r) => r.fields);
    p.catch(() => cache.delete(pattern));
    cache.set(pattern, p);
  }
  return p;
}

export function useFields(pattern: string | null): Field[] {
  const [state, setState] = useState<{ pattern: string; fields: Field[] } | null>(null);
  useEffect(() => {
    if (!pattern) return undefined;
    let live = true;
    fieldsOf(pattern)
      .then((f) => live && setState({ pattern, fields: f }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [pattern]);
  return state && state.pattern === pattern ? state.fields : [];
}

export function useDataViews(): { views: DataView[] | null; def: string | null; error: unknown } {
  const [out, setOut] = useState<{ views: DataView[] | null; def: string | null; error: unknown }>({ views: null, def: null, error: null });
  useEffect(() => {
    let live = true;
    listDataViews()
      .then((r) => live && setOut({ views: r.data_views, def: r.default, error: null }))
      .catch((e: unknown) => live && setOut({ views: null, def: null, error: e }));
    return () => {
      live = false;
    };
  }, []);
  return out;
}
