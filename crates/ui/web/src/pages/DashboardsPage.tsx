import { onLinkClick } from '../router';

export function DashboardsPage() {
  return (
    <section class="page" aria-labelledby="dashboards-title">
      <h1 id="dashboards-title">Dashboards</h1>
      <p>Dashboards come with the visualizations feature, which is not here yet.</p>
      <p>
        Until then, explore your logs in{' '}
        <a href="/app/discover" onClick={onLinkClick}>
          Discover
        </a>{' '}
        or chart the tutorial's three panels with <code>sluice dashboard</code>.
      </p>
    </section>
  );
}
