import { useState } from 'react';
import type { SandboxStatus } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { act, useStore } from '../../store.js';

type Busy = { verb: string; since: string } | null;

/**
 * The sandbox page's Checkpoint / Restore / Fork buttons. Checkpoint saves the
 * VM to the store's checkpoints directory and stops the sandbox; Restore brings
 * the last checkpoint back into it; Fork checkpoints with the sandbox left
 * running and restores that as a new sandbox. While one runs, the latest
 * progress message of the sandbox (or of the new fork) is shown beside them.
 */
export function CheckpointButtons({ sandbox, reload }: { sandbox: SandboxStatus; reload: () => void }) {
  const navigate = useStore((s) => s.navigate);
  const events = useStore((s) => s.events);
  const [busy, setBusy] = useState<Busy>(null);
  const since = busy?.since ?? '';
  const last = busy ? events.findLast((e) => e.type === 'progress' && e.at >= since && (e.id === sandbox.id || e.message.includes(sandbox.name))) : undefined;
  const run = (verb: string, fn: () => Promise<SandboxStatus | null>): void => {
    setBusy({ verb, since: new Date().toISOString() });
    let made: SandboxStatus | null = null;
    void act(`${verb} ${sandbox.name}`, async () => { made = await fn(); }).then(() => {
      setBusy(null);
      reload();
      const fork: SandboxStatus | null = made;
      if (fork && fork.id !== sandbox.id) navigate({ page: 'sandbox', id: fork.id, tab: 'overview' });
    });
  };
  const live = sandbox.state === 'running' || sandbox.state === 'ready';
  const restorable = sandbox.state === 'stopped' && sandbox.checkpoint !== undefined;
  return (
    <span className="checkpoint-buttons" role="group" aria-label="checkpoint and restore">
      {live ? <button disabled={busy !== null} title="save memory and devices to a checkpoint, then stop" onClick={() => run('Checkpointing', async () => { await api.call('sandbox.checkpoint', { id: sandbox.id }); return null; })}>Checkpoint</button> : null}
      {live ? <button disabled={busy !== null} title="checkpoint while it runs on, and restore that as a new sandbox" onClick={() => run('Forking', () => api.call('sandbox.fork', { id: sandbox.id }))}>Fork</button> : null}
      {restorable && sandbox.checkpoint ? <button disabled={busy !== null} title={`restore checkpoint ${sandbox.checkpoint.id} from ${sandbox.checkpoint.dir}`} onClick={() => { const dir = sandbox.checkpoint?.dir ?? ''; run('Restoring', () => api.call('sandbox.restore', { dir })); }}>Restore</button> : null}
      {busy ? <span className="sub" role="status" aria-live="polite">{busy.verb}… {last?.type === 'progress' ? last.message : ''}</span> : null}
    </span>
  );
}
