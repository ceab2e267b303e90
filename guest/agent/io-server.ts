// The guest end of the data plane: the `vessel.io` virtio-serial port carries
// framed streams (core/agent/proto/io-frames.ts) of process stdio, with
// credits, outside the gRPC path. The host (the sandbox's channel owner) opens
// a stream per process stream:
//   {"op":"read","containerId":…,"execId":…,"stream":"stdout"|"stderr","offset":N}
//     output from offset N on, as DATA, only as far as the host's credit
//     allows; CLOSE at the end of the stream. Unread output stays in the
//     process's bounded buffer (stream-buffer.ts), which pauses the process
//     when full: a slow reader slows the process, memory stays bounded.
//   {"op":"stdin","containerId":…,"execId":…}
//     DATA is written to the process's stdin as it comes; credit is returned
//     as writes complete; CLOSE closes stdin.
//   {"op":"close-output","containerId":…,"execId":…,"stream":"stdout"|"stderr"}
//     the host's reader is gone for good: the agent closes its end of that
//     output (the process gets EPIPE/SIGPIPE on its next write, as with a
//     closed pipe), drops what it held, and answers CLOSE.
// The port is shared by host connections in turn, like the agent port: each
// opens with a hello (demux.ts), and a new hello ends the previous
// connection's streams.
import { closeSync, openSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { IoMux, type IoStream } from '../../core/agent/proto/io-mux.js';
import { MAX_FRAME_PAYLOAD } from '../../core/agent/proto/io-frames.js';
import { PortDemux } from './demux.js';
import { ContainerProcess, type ContainerEngine } from './engine.js';
import { log } from './log.js';
import type { OutputSource } from './stream-buffer.js';
import { AgentPort, findPortDevice } from './port.js';

export const IO_PORT_NAME = 'vessel.io';
const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/);
const Spec = z.discriminatedUnion('op', [
  z.object({ op: z.literal('read'), containerId: Id, execId: Id.or(z.literal('')), stream: z.enum(['stdout', 'stderr']), offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) }),
  z.object({ op: z.literal('stdin'), containerId: Id, execId: Id.or(z.literal('')) }),
  z.object({ op: z.literal('close-output'), containerId: Id, execId: Id.or(z.literal('')), stream: z.enum(['stdout', 'stderr']) }),
]);
const STDIN_WINDOW = 256 * 1024;

/** What the io server needs of the container engine. */
export type IoEngine = Pick<ContainerEngine, 'outputSource' | 'writeStdin' | 'closeStdin' | 'closeOutput'>;

export function serveIoStream(engine: IoEngine, stream: IoStream, specBytes: Buffer): void {
  let spec: z.infer<typeof Spec>;
  try {
    const parsed = Spec.safeParse(JSON.parse(specBytes.toString('utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    spec = parsed.data;
  } catch (err) {
    stream.fail(`invalid io stream request: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (spec.op === 'read') {
    serveRead(engine, stream, spec);
    return;
  }
  if (spec.op === 'close-output') {
    try {
      engine.closeOutput(spec.containerId, spec.execId, spec.stream);
      stream.close();
    } catch (err) {
      stream.fail(err instanceof Error ? err.message : String(err));
    }
    return;
  }
  // stdin: writes in order, credit back as each completes.
  let chain = Promise.resolve();
  stream.grant(STDIN_WINDOW);
  stream.on('data', (d) => {
    chain = chain.then(async () => {
      await engine.writeStdin(spec.containerId, spec.execId, d);
      stream.consumed(d.length);
    }).catch((err: unknown) => stream.fail(err instanceof Error ? err.message : String(err)));
  });
  stream.on('end', () => {
    chain = chain.then(() => {
      engine.closeStdin(spec.containerId, spec.execId);
      stream.close();
    }).catch((err: unknown) => stream.fail(err instanceof Error ? err.message : String(err)));
  });
}

/**
 * Output as the host's credit allows, pushed from events (more output, more
 * credit), not pulled by a loop of waits. Sent is not consumed: the guest
 * releases output only as the host's credit comes back (its first grant is
 * its window; every later grant is bytes it consumed), so a reader that goes
 * away mid-flight loses nothing for the next one.
 */
function serveRead(engine: IoEngine, stream: IoStream, spec: { containerId: string; execId: string; stream: 'stdout' | 'stderr'; offset: number }): void {
  let source: OutputSource;
  try {
    source = engine.outputSource(spec.containerId, spec.execId, spec.stream);
    if (spec.offset > source.end) throw new Error(`offset ${spec.offset} is past the end of ${spec.stream} (${source.end})`);
  } catch (err) {
    stream.fail(err instanceof Error ? err.message : String(err));
    return;
  }
  let sent = spec.offset;
  let ackBase = spec.offset;
  let window: number | null = null;
  let pumping = false;
  let again = false;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    unwatch();
    stream.off('credit', pump);
  };
  function pump(): void {
    if (stopped) return;
    if (stream.done) return stop();
    // A write can call back into here (a source resumed by a release): finish this pass, then go again.
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!stream.done && stream.sendCredit > 0) {
          window ??= stream.creditReceived;
          const ack = ackBase + stream.creditReceived - window;
          const got = source.readAhead(Math.min(ack, sent), sent, Math.min(stream.sendCredit, 4 * MAX_FRAME_PAYLOAD));
          // The stream began later than asked (those bytes were released before): count from there.
          if (got.offset > sent) {
            ackBase += got.offset - sent;
            sent = got.offset;
          }
          if (got.data.length > 0) {
            stream.write(got.data);
            sent += got.data.length;
          }
          if (got.eof) {
            stream.close();
            return stop();
          }
          if (got.data.length === 0) break;
        }
      } while (again && !stopped);
      if (stream.done) stop();
    } catch (err) {
      stream.fail(err instanceof Error ? err.message : String(err));
      stop();
    } finally {
      pumping = false;
    }
  }
  const unwatch = source.watch(pump);
  stream.on('credit', pump);
  pump();
}

/** One host connection on the io port: a mux whose streams end when the connection does. */
export function serveIoConnection(engine: IoEngine, conn: Duplex): void {
  const mux = new IoMux({ write: (b) => conn.write(b), onOpen: (s, spec) => serveIoStream(engine, s, spec), maxStreams: 512 });
  conn.on('data', (d: Buffer) => mux.feed(d));
  conn.on('close', () => mux.reset('the host connection ended'));
  conn.on('error', () => undefined);
}

/**
 * Runs the data plane once end to end in this process, for the image build
 * (main.ts warmUpProcesses): a child's bulk output read by the process
 * reader into its stream buffer, served as an io stream against credit to a
 * host-side mux, its frames also written through a port (to /dev/null). The
 * functions on that path are then compiled in the agent's V8 snapshot:
 * under TCG, compiling them at a sandbox's first output delayed its first
 * byte by about 0.3 s.
 */
export async function warmUpDataPlane(): Promise<void> {
  const bytes = 512 * 1024;
  const proc = new ContainerProcess('warm-up', false, 1024 * 1024, null);
  const exited = new Promise<void>((resolve) => {
    proc.launch(process.execPath, ['-e', `process.stdout.write(Buffer.alloc(${bytes}, 120))`], { ptyFrom: '', rows: 0, cols: 0, onExit: () => resolve() });
  });
  const sink = openSync('/dev/null', 'w');
  try {
    const port = new AgentPort(sink, { data: () => undefined, hostGone: () => undefined, error: () => undefined });
    let host: IoMux | null = null;
    const guest = new IoMux({
      write: (b) => {
        port.write(b, () => undefined);
        setImmediate(() => host?.feed(b));
      },
      onOpen: (s, spec) => serveIoStream({ outputSource: () => proc.stdout, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined, closeOutput: () => undefined }, s, spec),
    });
    host = new IoMux({ write: (b) => setImmediate(() => guest.feed(b)) });
    const stream = host.open(Buffer.from(JSON.stringify({ op: 'read', containerId: 'warm-up', execId: '', stream: 'stdout', offset: 0 })));
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (d) => {
        got += d.length;
        stream.consumed(d.length);
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    await exited;
    if (got !== bytes) throw new Error(`the data plane's warm-up read ${got} of ${bytes} bytes`);
    await new Promise<void>((resolve) => port.write(Buffer.alloc(0), () => resolve()));
  } finally {
    closeSync(sink);
  }
}

/** Serve the io port if the VM has one (older hosts start VMs without it). */
export function serveIoPort(engine: IoEngine): void {
  const device = findPortDevice(IO_PORT_NAME);
  if (!device) {
    log('info', 'no io port: process stdio goes through the RPCs only');
    return;
  }
  let demux: PortDemux | null = null;
  const port = AgentPort.open(device, {
    data: (chunk) => demux?.data(chunk),
    hostGone: () => demux?.hostGone(),
    error: (err) => log('error', 'io port read failed', { dev: device, err: String(err) }),
    writeError: (err) => log('error', 'io port write failed', { dev: device, err: String(err) }),
  });
  demux = new PortDemux(port, (conn) => serveIoConnection(engine, conn), (why) => log('warn', 'the io server left a host connection', { why: why.slice(0, 300) }));
  log('info', 'io port ready', { dev: device });
}
