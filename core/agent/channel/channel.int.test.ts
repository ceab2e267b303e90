import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ServerMessage, type ClientMessage } from '../../contract/index.js';
import { cliPath, makeRoot, pidAlive, runCli, vmSkipReason, waitFor } from '../../cli/test-helpers.js';
import { readProcStartTime } from '../../util/proc.js';
import { AgentClient } from '../client.js';
import { readClaim } from './owner.js';

/**
 * Many host processes on one sandbox's agent at once, on real QEMU/TCG with
 * the real guest agent: the browser UI's WebSocket (console + stats through
 * `vessel serve`), a `vessel attach`, a `vessel events` watcher and 20 `vessel
 * exec` commands, all through the sandbox's agent channel owner. One VM for
 * the whole file.
 */

const skip = vmSkipReason();
if (skip) console.warn(`skipping channel tests: ${skip}`);

interface Proc { child: ChildProcess; out: () => string; err: () => string }

function start(root: string, args: string[]): Proc {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, VESSEL_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

/** A UI client: the same WebSocket protocol the renderer speaks to `vessel serve`. */
class UiClient {
  private next = 1;
  readonly items = new Map<number, unknown[]>();
  readonly ends = new Map<number, unknown>();
  readonly consoleText = new Map<number, string>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = ServerMessage.parse(JSON.parse(data.toString()));
      if (msg.t === 'item') {
        const list = this.items.get(msg.id) ?? [];
        list.push(msg.item);
        this.items.set(msg.id, list);
        if (typeof msg.item === 'string') this.consoleText.set(msg.id, (this.consoleText.get(msg.id) ?? '') + Buffer.from(msg.item, 'base64').toString());
        this.send({ t: 'ack', id: msg.id, n: typeof msg.item === 'string' ? Math.max(1, Buffer.from(msg.item, 'base64').length) : 1 });
      } else if (msg.t === 'end') {
        this.ends.set(msg.id, msg.end);
      } else if (msg.t === 'error') {
        this.ends.set(msg.id, msg.error);
      }
    });
  }

  static async connect(url: string): Promise<UiClient> {
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/api?token=${u.searchParams.get('token') ?? ''}`, { headers: { origin: u.origin } });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return new UiClient(ws);
  }

  send(m: ClientMessage): void {
    this.ws.send(JSON.stringify(m));
  }

  open(stream: 'console' | 'stats' | 'events', params: unknown): number {
    const id = this.next++;
    this.send({ t: 'open', id, stream, params });
    return id;
  }

  input(id: number, text: string): void {
    this.send({ t: 'input', id, data: Buffer.from(text).toString('base64') });
  }

  close(): void {
    this.ws.terminate();
  }
}

function ticks(text: string): number[] {
  return [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
}

/** Consecutive numbers: no line lost. */
function expectNoGap(n: number[]): void {
  for (let i = 1; i < n.length; i++) expect(n[i], `line after tick ${String(n[i - 1])}`).toBe((n[i - 1] ?? 0) + 1);
}

describe.skipIf(skip !== null)('agent channel on real QEMU: many clients, one sandbox', () => {
  const root = makeRoot('vessel-chan-');
  let id = '';
  let serve: Proc | null = null;
  let ui: UiClient | null = null;
  const procs: Proc[] = [];

  beforeAll(async () => {
    const r = await runCli(root, ['sandbox', 'run', '--name', 'many', '--json']);
    expect(r.code, r.stderr).toBe(0);
    id = (JSON.parse(r.stdout) as { id: string }).id;
    const c = await runCli(root, ['container', 'run', '--name', 'ticker', 'many', '--', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
    expect(c.code, c.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    ui?.close();
    for (const p of procs) p.child.kill('SIGKILL');
    serve?.child.kill('SIGTERM');
    if (id) await runCli(root, ['sandbox', 'delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  const stateFile = (): { agentChannel?: { pid: number; pidStartTime: number; socket: string }; hypervisorState: { pid: number } | null } =>
    (JSON.parse(readFileSync(path.join(root, 'sandboxes', id, 'state.json'), 'utf8')) as { state: never }).state;

  it('the channel owner starts with the VM and is recorded by pid + start time', () => {
    const ch = stateFile().agentChannel;
    expect(ch).toBeDefined();
    expect(readProcStartTime(ch?.pid ?? 0)).toBe(ch?.pidStartTime);
    expect(existsSync(ch?.socket ?? '/nonexistent')).toBe(true);
  });

  it('a UI console and stats stream, an attach and an events watcher carry on while 20 vessel exec run', async () => {
    serve = start(root, ['serve']);
    await waitFor(() => /running at (http\S+)/.test(serve?.out() ?? ''), 30_000);
    const url = /running at (http\S+)/.exec(serve.out())?.[1] ?? '';
    ui = await UiClient.connect(url);
    const shell = ui.open('console', { target: { kind: 'exec', sandboxId: id, container: 'ticker' }, size: { rows: 24, cols: 80 } });
    const stats = ui.open('stats', { sandboxId: id, periodMs: 1000 });
    const attach = start(root, ['attach', 'many', 'ticker']);
    procs.push(attach);
    await waitFor(() => ticks(attach.out()).length >= 3 && (ui?.items.get(stats)?.length ?? 0) >= 1, 60_000);
    ui.input(shell, 'echo before-$((40+2))\r');
    await waitFor(() => (ui?.consoleText.get(shell) ?? '').includes('before-42'), 60_000);

    const statsBefore = ui.items.get(stats)?.length ?? 0;
    const ticksBefore = ticks(attach.out()).length;
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => runCli(root, ['exec', 'many', 'ticker', '--', 'echo', `exec-${i}`])));
    for (const [i, r] of runs.entries()) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`exec-${i}\n`);
    }
    // Every stream went on during the execs, and none ended.
    expect(ui.items.get(stats)?.length ?? 0).toBeGreaterThan(statsBefore);
    expect(ticks(attach.out()).length).toBeGreaterThan(ticksBefore);
    expectNoGap(ticks(attach.out()));
    ui.input(shell, 'echo after-$((50+8))\r');
    await waitFor(() => (ui?.consoleText.get(shell) ?? '').includes('after-58'), 60_000);
    expect(ui.ends.size).toBe(0);
    expect(attach.child.exitCode).toBeNull();
  }, 600_000);

  it('a client killed with SIGKILL mid-stream leaves the channel usable for everyone else', async () => {
    const [attach] = procs;
    expect(attach).toBeDefined();
    attach?.child.kill('SIGKILL');
    await waitFor(() => attach?.child.exitCode !== null || attach.child.signalCode !== null, 10_000);
    const r = await runCli(root, ['exec', 'many', 'ticker', '--', 'echo', 'still-here']);
    expect(r.stdout).toBe('still-here\n');
    const again = start(root, ['attach', 'many', 'ticker']);
    procs.push(again);
    await waitFor(() => ticks(again.out()).length >= 2, 60_000);
    expectNoGap(ticks(again.out()));
    ui?.input(1, 'echo alive-$((60+1))\r');
    await waitFor(() => (ui?.consoleText.get(1) ?? '').includes('alive-61'), 60_000);
    expect(ui?.ends.size).toBe(0);
  }, 300_000);

  it("another process's change reaches a watcher within 1 s, naming the process that made it", async () => {
    const watcher = start(root, ['events', '--json']);
    procs.push(watcher);
    await waitFor(() => watcher.out().includes('"watching"'), 30_000);
    const r = await runCli(root, ['container', 'run', '--name', 'second', 'many', '--', 'sleep', '1000']);
    expect(r.code, r.stderr).toBe(0);
    const doneAt = Date.now();
    const seen = await waitFor(() => /"type":"container".*"state":"running".*"command":"vessel container run"/.test(watcher.out()), 5_000, 10).then(
      () => Date.now() - doneAt,
      () => {
        throw new Error(`the watcher printed no container event within 5 s:\n${watcher.out()}\nstderr:\n${watcher.err()}`);
      },
    );
    expect(seen).toBeLessThanOrEqual(1000);
  }, 120_000);

  it('a flood of output read slowly: the process is held back, the owner and agent hold bounded memory, nothing is lost', async () => {
    // 64 KiB lines; the process records how far it got in a file we read with exec.
    const r = await runCli(root, ['container', 'run', '--json', '--name', 'flood', 'many', '--', 'sh', '-c', 'i=0; while true; do printf "%65535s\\n" $i; echo $i > /tmp/progress; i=$((i+1)); done']);
    expect(r.code, r.stderr).toBe(0);
    const cid = (JSON.parse(r.stdout) as { id: string }).id;
    const progress = async (): Promise<number> => Number((await runCli(root, ['exec', 'many', 'flood', '--', 'cat', '/tmp/progress'])).stdout.trim());
    const ch = stateFile().agentChannel;
    const client = await AgentClient.connect({ kind: 'channel', path: ch?.socket ?? '', ioPath: path.join(root, 'sandboxes', id, 'cio.sock') }, { timeoutMs: 60_000 });
    try {
      const it = client.readStream(cid, cid, 'stdout')[Symbol.asyncIterator]();
      let got = 0;
      while (got < 256 * 1024) got += (await it.next()).value?.length ?? 0;
      // The reader stops consuming: the process must stall, not the memory grow.
      await new Promise((res) => setTimeout(res, 3_000));
      const p1 = await progress();
      await new Promise((res) => setTimeout(res, 3_000));
      const p2 = await progress();
      expect(p2).toBe(p1);
      // Guest buffer (2 MiB) + the process's socket (1 MiB) + the client's window (2 MiB; the owner has none
      // of its own): a few MiB of 64 KiB lines, not more.
      expect(p2 * 65536).toBeLessThan(got + 8 * 1024 * 1024);
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(ch?.pid)}/status`, 'utf8'))?.[1]);
      expect(rss).toBeLessThan(200 * 1024);
      // Reading again: the process goes on, and every byte arrives in order.
      const want = 40 * 65536;
      let text = '';
      while (got < want) {
        const chunk = (await it.next()).value;
        if (!chunk) break;
        got += chunk.length;
        text += chunk.toString('latin1');
      }
      const numbers = [...text.matchAll(/ (\d+)\n/g)].map((m) => Number(m[1]));
      expectNoGap(numbers);
      expect(await progress()).toBeGreaterThan(p2);
      await it.return?.(undefined);
    } finally {
      client.close();
      await runCli(root, ['container', 'delete', '--force', 'many', 'flood']);
    }
  }, 300_000);

  it('the channel owner killed: the next client starts a new one (a new claim) and carries on', async () => {
    const claimFile = path.join(root, 'sandboxes', id, 'chan.pid');
    const old = readClaim(claimFile);
    expect(old && pidAlive(old.pid)).toBe(true);
    process.kill(old?.pid ?? 0, 'SIGKILL');
    await waitFor(() => !pidAlive(old?.pid ?? 0), 10_000);
    const r = await runCli(root, ['exec', 'many', 'ticker', '--', 'echo', 'new-owner']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('new-owner\n');
    const now = readClaim(claimFile);
    expect(now?.pid).not.toBe(old?.pid);
    expect(readProcStartTime(now?.pid ?? 0)).toBe(now?.startTime);
  }, 120_000);

  it('QEMU killed: the channel owner goes too, the sandbox reads stopped within 2 s, nothing of the owner is left', async () => {
    const st = stateFile();
    // The live owner is the one holding the claim (the record names the first one, killed above).
    const owner = readClaim(path.join(root, 'sandboxes', id, 'chan.pid'))?.pid ?? 0;
    const qemu = st.hypervisorState?.pid ?? 0;
    expect(pidAlive(owner)).toBe(true);
    const watcher = procs.at(-1);
    process.kill(qemu, 'SIGKILL');
    const ownerGoneAfter = await waitFor(() => !pidAlive(owner), 10_000, 10);
    expect(ownerGoneAfter).toBeLessThanOrEqual(2000);
    const s = await runCli(root, ['sandbox', 'status', id, '--json']);
    expect((JSON.parse(s.stdout) as { state: string }).state).toBe('stopped');
    const runDir = path.join(root, 'sandboxes', id);
    expect(existsSync(path.join(runDir, 'chan.sock'))).toBe(false);
    expect(existsSync(path.join(runDir, 'chan.pid'))).toBe(false);
    await waitFor(() => /"to":"stopped".*"command":"vessel agent channel owner"/.test(watcher?.out() ?? ''), 5_000);
  }, 120_000);
});
