import { useEffect, useRef } from 'react';
import { useStore } from './store.js';
import { mode } from './api/client.js';
import { pruneConsoles, restoreConsoles, useConsoles } from './consoles.js';
import { SandboxList } from './components/SandboxList.js';
import { SandboxPage } from './components/SandboxPage.js';
import { CreateDialog } from './components/CreateDialog.js';
import { FactoryPage } from './features/factory/FactoryPage.js';
import { NetworksPage } from './features/networks/NetworksPage.js';
import { ImagesPage } from './features/images/ImagesPage.js';
import { DevicesPage } from './features/devices/DevicesPage.js';

function Notices() {
  const { notices, dismiss } = useStore();
  return (
    <div className="notices" role="log" aria-live="polite" aria-label="notifications">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : undefined}>
          <span>{n.text}</span>
          <button className="icon" onClick={() => dismiss(n.id)} aria-label="dismiss notification">×</button>
        </div>
      ))}
    </div>
  );
}

export function App() {
  const { route, navigate, connected, sandboxes, loaded } = useStore();
  const consoleCount = useConsoles((s) => s.consoles.length);
  const restored = useRef(false);
  useEffect(() => {
    if (!loaded) return;
    if (!restored.current) {
      restored.current = true;
      restoreConsoles(new Set(sandboxes.filter((s) => s.state === 'running').map((s) => s.id)));
    }
    pruneConsoles(new Set(sandboxes.map((s) => s.id)));
  }, [sandboxes, loaded]);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="main">
        <div className="brand" aria-label="Vessel">
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path d="M3 14h18l-3 6H6z" fill="#7aa2f7" /><path d="M12 3v10M12 4l6 8h-6" stroke="#c0caf5" strokeWidth="1.6" fill="none" /></svg>
          <span>Vessel</span>
        </div>
        <ul>
          <li><button className={route.page === 'sandboxes' || route.page === 'sandbox' ? 'current' : ''} aria-current={route.page === 'sandboxes' || route.page === 'sandbox' ? 'page' : undefined} onClick={() => navigate({ page: 'sandboxes' })}>Sandboxes <span className="count">{sandboxes.length}</span></button></li>
          <li><button className={route.page === 'images' ? 'current' : ''} aria-current={route.page === 'images' ? 'page' : undefined} onClick={() => navigate({ page: 'images' })}>Images</button></li>
          <li><button className={route.page === 'networks' ? 'current' : ''} aria-current={route.page === 'networks' ? 'page' : undefined} onClick={() => navigate({ page: 'networks' })}>Networks</button></li>
          <li><button className={route.page === 'devices' ? 'current' : ''} aria-current={route.page === 'devices' ? 'page' : undefined} onClick={() => navigate({ page: 'devices' })}>Devices</button></li>
          <li><button className={route.page === 'factory' ? 'current' : ''} aria-current={route.page === 'factory' ? 'page' : undefined} onClick={() => navigate({ page: 'factory' })}>VM factory</button></li>
        </ul>
        <div className="spacer" />
        <div className="conn sub" role="status" aria-label="connection">
          <span className={`dot ${connected ? 'dot-open' : 'dot-failed'}`} aria-hidden="true" />
          {connected ? `${mode === 'electron' ? 'desktop' : 'browser'} mode` : 'disconnected — retrying'}
          {consoleCount > 0 ? <div>{consoleCount} console{consoleCount === 1 ? '' : 's'} open</div> : null}
        </div>
      </nav>
      <main className="main">
        {route.page === 'sandbox' ? <SandboxPage id={route.id} tab={route.tab ?? 'overview'} /> : route.page === 'networks' ? <NetworksPage /> : route.page === 'images' ? <ImagesPage /> : route.page === 'devices' ? <DevicesPage /> : route.page === 'factory' ? <FactoryPage /> : <SandboxList />}
      </main>
      <CreateDialog />
      <Notices />
    </div>
  );
}
