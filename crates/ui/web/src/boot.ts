// The page's entry: a small chunk that sends Discover's data views, fields and first search, then
// loads the application (main.tsx). The requests leave as soon as this chunk and the code it
// shares with the application are in, instead of after the whole application has been fetched,
// compiled and run (compiling it holds the main thread, which would also hold the requests back,
// so it is loaded once they are on their way). The stylesheet stays in the entry, so index.html
// links it directly.

import { isDiscoverPath, startFirstScreen } from './pages/discover/firstScreen';
import './styles.css';

const started = isDiscoverPath(window.location.pathname) ? startFirstScreen(window.location.search) : Promise.resolve();

started
  .then(() => import('./main'))
  .catch((e: unknown) => {
    const app = document.getElementById('app');
    if (app) {
      app.setAttribute('role', 'alert');
      app.textContent = `Sluice could not load its application (${e instanceof Error ? e.message : String(e)}). Reload the page to try again.`;
    }
  });
