// A tiny client-side router: the path and query string live in `location`; pushState on
// navigation, popstate for back/forward. Components subscribe with useLocation().

import { useEffect, useState } from 'preact/hooks';

export interface Loc {
  path: string;
  search: string;
}

const listeners = new Set<() => void>();

function current(): Loc {
  return { path: window.location.pathname, search: window.location.search };
}

function notify(): void {
  for (const l of listeners) l();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

/** Goes to `url` (path and/or query string) with pushState, or replaceState when `replace`. */
export function navigate(url: string, replace = false): void {
  const target = new URL(url, window.location.href);
  if (target.pathname === window.location.pathname && target.search === window.location.search) return;
  if (replace) window.history.replaceState(null, '', target.pathname + target.search + target.hash);
  else window.history.pushState(null, '', target.pathname + target.search + target.hash);
  notify();
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = (): void => setLoc(current());
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return loc;
}

/** Follows a same-origin link without reloading (modified clicks keep the browser's behaviour). */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  if (a.target && a.target !== '_self') return;
  const url = new URL(a.href);
  if (url.origin !== window.location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
