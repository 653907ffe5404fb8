import { useEffect } from 'preact/hooks';
import { status as apiStatus } from '../api';

/** How often a page asks /api/status while the backend is unreachable. */
export const RECOVERY_POLL_MS = 2000;

/** While `waiting`, polls /api/status and calls `rerun` once the backend answers again (the page
 * recovers without a reload). */
export function useRecovery(waiting: boolean, rerun: () => void): void {
  useEffect(() => {
    if (!waiting) return undefined;
    let live = true;
    const timer = window.setInterval(() => {
      apiStatus()
        .then((s) => {
          if (live && s.backend.ok) rerun();
        })
        .catch(() => undefined);
    }, RECOVERY_POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [waiting, rerun]);
}

/** Calls `rerun` every `ms` (0: never) while the page is visible. */
export function useAutoRefresh(ms: number, rerun: () => void): void {
  useEffect(() => {
    if (ms === 0) return undefined;
    const timer = window.setInterval(() => {
      if (!document.hidden) rerun();
    }, ms);
    return () => window.clearInterval(timer);
  }, [ms, rerun]);
}
