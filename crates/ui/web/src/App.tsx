import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { DiscoverPage } from './pages/discover/DiscoverPage';
import { lazyPage } from './components/lazy';
import { PageBoundary } from './components/PageBoundary';
import { navigate, onLinkClick, useLocation } from './router';

// Discover is in the entry chunk; every other page is a chunk of its own, loaded on first visit.
const DashboardsPage = lazyPage(() => import('./pages/DashboardsPage').then((m) => m.DashboardsPage));
const DataViewsPage = lazyPage(() => import('./pages/DataViewsPage').then((m) => m.DataViewsPage));
const SavedObjectsPage = lazyPage(() => import('./pages/SavedObjectsPage').then((m) => m.SavedObjectsPage));
const VisEditorPage = lazyPage(() => import('./pages/visualize/VisEditorPage').then((m) => m.VisEditorPage));
const VisualizeListPage = lazyPage(() => import('./pages/visualize/VisualizeListPage').then((m) => m.VisualizeListPage));
const DashboardPage = lazyPage(() => import('./pages/dashboards/DashboardPage').then((m) => m.DashboardPage));

const NAV: ReadonlyArray<{ href: string; label: string }> = [
  { href: '/app/discover', label: 'Discover' },
  { href: '/app/visualize', label: 'Visualize' },
  { href: '/app/dashboards', label: 'Dashboards' },
  { href: '/app/management/data_views', label: 'Data views' },
  { href: '/app/management/saved_objects', label: 'Saved objects' },
];

const TITLES: Record<string, string> = {
  '/app/discover': 'Discover',
  '/app/dashboards': 'Dashboards',
  '/app/visualize': 'Visualize',
  '/app/management/data_views': 'Data views',
  '/app/management/saved_objects': 'Saved objects',
};

export function App() {
  const loc = useLocation();
  const path = loc.path.replace(/\/+$/, '') || '/';

  useEffect(() => {
    if (path === '/' || path === '/app') navigate('/app/discover', true);
  }, [path]);

  useEffect(() => {
    document.title = `${TITLES[path] ?? TITLES[section(path)] ?? 'Not found'} - Sluice`;
  }, [path]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top-nav">
        <a class="brand" href="/app/discover" onClick={onLinkClick}>
          Sluice
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} onClick={onLinkClick} aria-current={path === item.href ? 'page' : section(path) === item.href ? 'true' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <PageBoundary key={path}>
          <Route path={path} search={loc.search} />
        </PageBoundary>
      </main>
    </>
  );
}

/** The app a path belongs to (`/app/visualize/edit/x` → `/app/visualize`). */
function section(path: string): string {
  return /^\/app\/[^/]+/.exec(path)?.[0] ?? path;
}

function Route({ path, search }: { path: string; search: string }): ComponentChildren {
  const edit = /^\/app\/visualize\/edit\/([^/]+)$/.exec(path);
  if (edit) return <VisEditorPage key={edit[1]} id={decodeURIComponent(edit[1]!)} search={search} />;
  const view = /^\/app\/dashboards\/view\/([^/]+)$/.exec(path);
  if (view) return <DashboardPage key={view[1]} id={decodeURIComponent(view[1]!)} search={search} />;
  switch (path) {
    case '/':
    case '/app':
    case '/app/discover':
      return <DiscoverPage search={search} />;
    case '/app/dashboards':
      return <DashboardsPage />;
    case '/app/dashboards/create':
      return <DashboardPage key="new" id={null} search={search} />;
    case '/app/visualize':
      return <VisualizeListPage />;
    case '/app/visualize/create':
      return <VisEditorPage key="new" id={null} search={search} />;
    case '/app/management':
    case '/app/management/data_views':
      return <DataViewsPage />;
    case '/app/management/saved_objects':
      return <SavedObjectsPage />;
    default:
      return (
        <section class="page">
          <h1>Page not found</h1>
          <p>
            There is no page at <code>{path}</code>.{' '}
            <a href="/app/discover" onClick={onLinkClick}>
              Go to Discover
            </a>
          </p>
        </section>
      );
  }
}
