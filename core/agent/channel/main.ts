// Entry point of the channel owner process (see owner.ts). Started detached by
// launch.ts with one argument, a JSON object (OwnerArgv). Prints one line,
// "ready" or "taken" (another live owner already serves the sandbox), then
// closes stdout so the launcher can go.
import { closeSync } from 'node:fs';
import path from 'node:path';
import { appendEvent, selfOrigin } from '../../events/append.js';
import { JsonLogger } from '../../util/log.js';
import { ChannelOwner, channelPaths, OwnerArgv } from './owner.js';

/** The name events from this process carry as their origin. */
export const OWNER_COMMAND = 'vessel agent channel owner';

async function run(): Promise<number> {
  const parsed = OwnerArgv.safeParse(JSON.parse(process.argv[2] ?? 'null'));
  if (!parsed.success) {
    process.stderr.write(`vessel channel owner: invalid arguments: ${parsed.error.issues[0]?.message ?? 'invalid'}\n`);
    return 2;
  }
  const a = parsed.data;
  const logger = new JsonLogger(path.join(a.runDir, 'vessel.log'), { sandbox: a.sandboxId, pid: process.pid });
  const { socket, ioSocket, pidFile, pausedFile } = channelPaths(a.runDir);
  const feed = a.eventFeed;
  const owner = new ChannelOwner({
    agentSocket: a.agentSocket,
    listen: socket,
    ...(a.ioSocket ? { io: { upstream: a.ioSocket, listen: ioSocket } } : {}),
    pidFile,
    pausedFile,
    qemuPid: a.qemuPid,
    qemuStartTime: a.qemuStartTime,
    log: (level, msg, extra) => logger.log(level, 'agent', msg, { component: 'channel', ...extra }),
    // The feed's writer half (core/events/append.ts) brings no schemas: an idle owner stays small.
    ...(feed ? { onVmExit: (reason: string) => appendEvent(feed, { type: 'state', id: a.sandboxId, from: null, to: 'stopped', reason, at: new Date().toISOString(), origin: selfOrigin(OWNER_COMMAND) }) } : {}),
  });
  const started = await owner.start();
  process.stdout.write(started ? 'ready\n' : 'taken\n');
  closeSync(1);
  if (!started) return 0;
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => owner.stop(`signal ${sig}`));
  await owner.exited;
  return 0;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vessel channel owner: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
