import { render } from 'preact';
import { App } from './App';
import { startFirstScreen } from './pages/discover/firstScreen';
import './styles.css';

// Discover (also what / and /app open) starts its requests and the chart's chunk before rendering.
if (/^\/(app(\/discover)?)?\/*$/.test(window.location.pathname)) startFirstScreen(window.location.search);

render(<App />, document.getElementById('app')!);
