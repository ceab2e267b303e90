import { useEffect, useState } from 'react';
import type { CreateSandboxRequest, FactoryHint } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';

/** The create dialog's line: will this sandbox come from the warm pool, a template or a cold boot, and about how long. */
export function SourceHint({ request }: { request: CreateSandboxRequest | null }) {
  const [hint, setHint] = useState<FactoryHint | null>(null);
  const key = JSON.stringify(request);
  useEffect(() => {
    if (!request) return;
    let live = true;
    const timer = setTimeout(() => {
      api.call('factory.hint', { sandbox: request }).then((h) => { if (live) setHint(h); }, () => { if (live) setHint(null); });
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);
  if (!hint) return null;
  const eta = hint.expectedMs === null ? '' : ` — about ${Math.max(1, Math.round(hint.expectedMs / 1000))} s`;
  const what = hint.source === 'cache' ? `from the warm pool${eta}` : hint.source === 'template' ? `from a template${eta}` : `cold boot${eta}`;
  return <p className="sub" role="status" aria-label="VM source">VM: {what} ({hint.reason})</p>;
}
