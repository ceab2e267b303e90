import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xterm/xterm/css/xterm.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './App.js';
import { startFeeds, useStore } from './store.js';

startFeeds();

const root = document.getElementById('root');
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);

// For benchmarks and e2e: read-only hooks on the store (no API access).
declare global {
  interface Window {
    __vessel?: { store: typeof useStore };
  }
}
window.__vessel = { store: useStore };
