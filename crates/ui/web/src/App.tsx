import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { DashboardsPage } from './pages/DashboardsPage';
import { DataViewsPage } from './pages/DataViewsPage';
import { DiscoverPage } from './pages/discover/DiscoverPage';
import { SavedObjectsPage } from './pages/SavedObjectsPage';
import { navigate, onLinkClick, useLocation } from './router';

const NAV: ReadonlyArray<{ href: string; label: string }> = [
  { href: '/app/discover', label: 'Discover' },
  { href: '/app/dashboards', label: 'Dashboards' },
  { href: '/app/management/data_views', label: 'Data views' },
  { href: '/app/management/saved_objects', label: 'Saved objects' },
];

const TITLES: Record<string, string> = {
  '/app/discover': 'Discover',
  '/app/dashboards': 'Dashboards',
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
    document.title = `${TITLES[path] ?? 'Not found'} - Sluice`;
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
                <a href={item.href} onClick={onLinkClick} aria-current={path === item.href ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Route path={path} search={loc.search} />
      </main>
    </>
  );
}

function Route({ path, search }: { path: string; search: string }): ComponentChildren {
  switch (path) {
    case '/':
    case '/app':
    case '/app/discover':
      return <DiscoverPage search={search} />;
    case '/app/dashboards':
      return <DashboardsPage />;
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
