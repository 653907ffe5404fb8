import { render } from 'preact';
import { App } from './App';
import { startFirstScreen } from './pages/discover/firstScreen';
import './styles.css';

/** How long the first render may wait for Discover's data views (index.html preloads them). */
const FIRST_RENDER_WAIT_MS = 100;

let rendered = false;
function show(): void {
  if (rendered) return;
  rendered = true;
  render(<App />, document.getElementById('app')!);
}

// Discover (also what / and /app open) starts its requests before rendering. The page's first
// render and layout hold the main thread for tens of milliseconds: when the data views' answer is
// near (it usually has arrived by now), the fields and first search go out before them.
if (/^\/(app(\/discover)?)?\/*$/.test(window.location.pathname)) {
  startFirstScreen(window.location.search).then(show, show);
  window.setTimeout(show, FIRST_RENDER_WAIT_MS);
} else {
  show();
}
