// Loads the visualization chunk of ECharts once (a failure is retried on the next call).

type Mod = typeof import('./echartsVis');

let loaded: Mod | null = null;
let loading: Promise<Mod> | null = null;

export function loadVisCharts(): Promise<Mod> {
  loading ??= import('./echartsVis').then(
    (m) => (loaded = m),
    (e: unknown) => {
      loading = null;
      throw e;
    },
  );
  return loading;
}

export function loadedVisCharts(): Mod | null {
  return loaded;
}
