import type { Methods } from '../contract/index.js';
import type { Runtime } from '../api/index.js';

/** The sandbox page's checkpoint, restore and fork buttons. Progress reaches the page as the sandbox's progress events. */

type CheckpointMethod = 'sandbox.checkpoint' | 'sandbox.restore' | 'sandbox.fork';
type Handlers = { [M in CheckpointMethod]: (params: ReturnType<(typeof Methods)[M]['params']['parse']>) => Promise<unknown> };

export function checkpointCallHandlers(rt: Runtime): Handlers {
  return {
    'sandbox.checkpoint': ({ id, leaveRunning }) => rt.sandboxes.checkpointSandbox(id, leaveRunning ? { leaveRunning: true } : {}),
    'sandbox.restore': ({ dir, name }) => rt.sandboxes.restoreSandbox(dir, name !== undefined ? { name } : {}),
    'sandbox.fork': async ({ id, name }) => {
      const c = await rt.sandboxes.checkpointSandbox(id, { leaveRunning: true });
      return rt.sandboxes.restoreSandbox(c.dir, name !== undefined ? { name } : {});
    },
  };
}
