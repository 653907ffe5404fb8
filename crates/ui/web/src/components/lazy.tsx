import { type FunctionComponent, h } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A page loaded as its own chunk on first use (Visualize and Dashboard stay out of Discover's
 * first screen). Preact core has no `lazy`; preact/compat would bring React compatibility along. */
export function lazyPage<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  let loading: Promise<FunctionComponent<P>> | null = null;
  const start = (): Promise<FunctionComponent<P>> => {
    loading ??= load().then(
      (c) => (loaded = c),
      (e: unknown) => {
        loading = null; // the next mount tries again
        throw e;
      },
    );
    return loading;
  };
  return function LazyPage(props: P) {
    const [, setReady] = useState(loaded !== null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded) return undefined;
      let live = true;
      start().then(
        () => live && setReady(true),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, []);
    if (loaded) return h(loaded, props);
    return (
      <section class="page">
        {failed ? (
          <p role="alert" class="callout callout-danger">
            This page could not be loaded. Check that <code>sluice ui</code> is running, then reload.
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </section>
    );
  };
}
