// ECharts is its own chunk, loaded once: startFirstScreen starts it with the first API requests,
// and the histogram draws at once when it has already arrived.

type ECharts = typeof import('./echarts');

let loaded: ECharts | null = null;
let loading: Promise<ECharts> | null = null;

export function loadECharts(): Promise<ECharts> {
  loading ??= import('./echarts').then(
    (m) => (loaded = m),
    (e: unknown) => {
      loading = null; // a later call tries again
      throw e;
    },
  );
  return loading;
}

/** The module when it has already been loaded. */
export function loadedECharts(): ECharts | null {
  return loaded;
}

/** Starts loading ECharts (a failure is retried when the chart mounts). */
export function preloadECharts(): void {
  loadECharts().catch(() => undefined);
}
