// The Vessel guest agent: PID 1's main service inside the sandbox VM (init
// restarts it when it exits). Entry point of the bundle the image builder
// makes; node starts it from the image's V8 snapshot of the loaded bundle, or
// the image's launcher (guest/build/launcher.ts) loads the bundle with a V8
// code cache; either then calls main().
import { ContainerEngine, runTool } from './engine.js';
import { serveIoPort, warmUpDataPlane } from './io-server.js';
import { log, resetLogSink } from './log.js';
import { GuestNetwork } from './network.js';
import { createAgentServer, serveVirtioSerial } from './server.js';
import { LinuxGuestSystem } from './system.js';

export interface MainOptions {
  /** How the bundle was loaded (the launcher's V8 code cache used or not, or a V8 startup snapshot): for the boot-time log line. */
  codeCache?: string;
}

export function main(options: MainOptions = {}): void {
  const startedAt = Math.round(performance.now());
  resetLogSink();
  process.on('uncaughtException', (err) => {
    log('error', 'uncaught', { err: String(err).slice(0, 300) });
    process.exit(70); // init restarts the agent
  });
  const engine = new ContainerEngine();
  const { inject } = createAgentServer(new LinuxGuestSystem(), engine, new GuestNetwork());
  // The data plane's port appears with the agent's: serve it once the agent port is up.
  void serveVirtioSerial(inject, { mainStartedAt: startedAt, codeCache: options.codeCache ?? 'none' }).then(() => serveIoPort(engine));
  // vsock: Node has no AF_VSOCK sockets, so the agent cannot listen there without a native addon.
}

/**
 * Runs the startup path without touching the guest (no port, no console), so
 * the image builder can record a V8 code cache of the functions startup
 * compiles, or take a V8 snapshot with them compiled; it also generates every
 * RPC's message codecs (kept in a snapshot).
 */
export function warmUp(): void {
  const { server } = createAgentServer({
    kernelRelease: () => '',
    memTotalKiB: () => 0,
    onlineCpus: () => 1,
    uptimeMs: () => 0,
    setHostname: () => Promise.resolve(),
    setDateTime: () => Promise.resolve(),
  }, new ContainerEngine());
  server.warmCodecs();
}

/**
 * Starts one child process the way the agent starts its tools (ip, mount,
 * crun), so node's child-process code is compiled before the image build
 * takes the agent's V8 snapshot: under TCG the first spawn otherwise costs
 * ~0.2 s more than the next ones, inside the sandbox's first calls. Then the
 * data plane, once end to end (io-server.ts warmUpDataPlane), for the same
 * reason at a sandbox's first output.
 */
export async function warmUpProcesses(): Promise<void> {
  await runTool(process.execPath, ['--version']);
  await warmUpDataPlane();
}
