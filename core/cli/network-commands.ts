// `vessel network …`, `vessel port …` and the --network/-p options of the
// commands that create sandboxes.
import { Option, type Command } from 'commander';
import { VesselError, type NetworkInfo, type PortMapping, type SandboxNetworkStatus } from '../contract/index.js';
import type { Runtime } from '../api/index.js';
import { formatPortMapping, parsePortMapping } from '../network/index.js';

export interface NetworkCliContext {
  rt: () => Runtime;
  print: (line: string) => void;
  printJson: (value: unknown) => void;
}

function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

/** Adds --network and -p to a sandbox-creating command. */
export function addNetworkOptions(cmd: Command): Command {
  return cmd
    .option('--network <mode>', "a network name, 'none', 'user' (user-mode, rootless: passt if it works here, else QEMU slirp), 'user:passt', 'user:slirp' or 'ns:PATH' (join a namespace); default: vessel as root, user otherwise")
    .option('-p, --publish <[hostip:]hostport:containerport[/proto]>', 'forward a host port (default host IP 127.0.0.1; repeatable)', collect);
}

/** The request fields from --network/-p, validated (bad ports fail here, before anything is made). */
export function networkRequestFrom(opts: { network?: string; publish?: string[] }): { network?: string; ports?: PortMapping[] } {
  const ports = (opts.publish ?? []).map(parsePortMapping);
  return { ...(opts.network !== undefined ? { network: opts.network } : {}), ...(ports.length ? { ports } : {}) };
}

export function formatNetworkStatus(n: SandboxNetworkStatus | null | undefined): string[] {
  if (!n) return ['network:   loopback only'];
  const lines = [`network:   ${n.mode} (${n.reason}); datapath: ${n.datapath}${n.netns ? `; netns ${n.netns}` : ''}`];
  for (const nic of n.nics) {
    lines.push(`  ${nic.id} ${nic.guestName} ${nic.mac} ${nic.ips.join(',') || '-'} via ${nic.gateway ?? '-'} [${nic.network}, ${nic.endpointType}/${nic.model}${nic.hostInterface ? `, host ${nic.hostInterface}` : ''}${nic.hotplugged ? ', hot-plugged' : ''}]`);
  }
  for (const p of n.ports) lines.push(`  port ${formatPortMapping(p)}`);
  return lines;
}

function networkTable(nets: NetworkInfo[]): string {
  const rows = [['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'INTERFACE', 'SANDBOXES'], ...nets.map((n) => [
    `${n.name}${n.isDefault ? ' (default)' : ''}`, `${n.driver}${n.internal ? ' internal' : ''}`, n.subnet, n.gateway, n.hostInterface, String(n.sandboxes.length),
  ])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function registerNetworkCommands(program: Command, ctx: NetworkCliContext): void {
  const network = program.command('network').description('networks sandboxes attach to (CNI: bridge, macvlan)');
  network
    .command('create <name>')
    .description('create a network')
    .addOption(new Option('--driver <driver>', 'network driver').choices(['bridge', 'macvlan']).default('bridge'))
    .option('--subnet <cidr>', 'IPv4 subnet (default: a free /24 in 10.89.0.0/16)')
    .option('--gateway <ip>', 'gateway address (default: the first address of the subnet)')
    .option('--parent <iface>', 'host interface a macvlan network hangs off')
    .option('--internal', 'no NAT to the outside')
    .addOption(new Option('--model <model>', 'how the sandbox link joins the VM: tcfilter (tap + tc redirect) or macvtap').choices(['tcfilter', 'macvtap']).default('tcfilter'))
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { driver: 'bridge' | 'macvlan'; subnet?: string; gateway?: string; parent?: string; internal?: boolean; json?: boolean; model: 'tcfilter' | 'macvtap' }) => {
      const info = await ctx.rt().network.networks.create({
        name, driver: opts.driver, internal: Boolean(opts.internal), model: opts.model,
        ...(opts.subnet !== undefined ? { subnet: opts.subnet } : {}),
        ...(opts.gateway !== undefined ? { gateway: opts.gateway } : {}),
        ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
      });
      if (opts.json) ctx.printJson(info);
      else ctx.print(`${info.name} ${info.driver} ${info.subnet} gateway ${info.gateway}`);
    });
  network
    .command('list')
    .alias('ls')
    .description('list networks')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const nets = await ctx.rt().network.networks.list();
      if (opts.json) ctx.printJson(nets);
      else ctx.print(nets.length ? networkTable(nets) : "no networks: 'vessel network create NAME' makes one");
    });
  network
    .command('inspect <name>')
    .description('show a network and the sandboxes on it')
    .action(async (name: string) => ctx.printJson(await ctx.rt().network.networks.inspect(name)));
  network
    .command('delete <name>')
    .alias('rm')
    .description('delete a network (refused while a sandbox uses it)')
    .action(async (name: string) => {
      await ctx.rt().network.networks.remove(name);
      ctx.print(`${name} deleted`);
    });
  network
    .command('connect <sandbox> <network>')
    .description('hot plug a NIC on NETWORK into a running sandbox')
    .option('--json', 'print JSON')
    .action(async (ref: string, net: string, opts: { json?: boolean }) => {
      const sb = ctx.rt().sandboxes;
      const id = (await sb.fetchSandbox(ref)).id;
      const status = await sb.connectNetwork(id, net, (phase, message) => { if (!opts.json) process.stderr.write(`[${phase}] ${message}\n`); });
      if (opts.json) ctx.printJson(status.network);
      else ctx.print(formatNetworkStatus(status.network).join('\n'));
    });
  network
    .command('disconnect <sandbox> <network>')
    .description('hot unplug the sandbox NIC on NETWORK')
    .action(async (ref: string, net: string) => {
      const sb = ctx.rt().sandboxes;
      const id = (await sb.fetchSandbox(ref)).id;
      const status = await sb.disconnectNetwork(id, net);
      ctx.print(formatNetworkStatus(status.network).join('\n'));
    });

  const port = program.command('port').description('port forwards of a sandbox');
  port
    .command('list <sandbox>')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const st = await ctx.rt().sandboxes.fetchSandbox(ref);
      const ports = st.network?.ports ?? [];
      if (opts.json) ctx.printJson(ports);
      else ctx.print(ports.length ? ports.map(formatPortMapping).join('\n') : 'no port forwards');
    });
  for (const verb of ['add', 'remove'] as const) {
    port
      .command(`${verb} <sandbox> <mapping>`)
      .description(`${verb} a port forward live ([hostip:]hostport:containerport[/tcp|/udp])`)
      .action(async (ref: string, mapping: string) => {
        const p = parsePortMapping(mapping);
        const sb = ctx.rt().sandboxes;
        const id = (await sb.fetchSandbox(ref)).id;
        const st = await sb.updatePorts(id, verb, p);
        ctx.print((st.network?.ports ?? []).map(formatPortMapping).join('\n') || 'no port forwards');
      });
  }
}

export function assertNoNetworkFlagsFor(hypervisor: string, opts: { network?: string; publish?: string[] }): void {
  if (hypervisor === 'mock' && (opts.network || opts.publish?.length)) throw new VesselError('E_INVALID_ARGUMENT', 'the mock hypervisor has no networking');
}
