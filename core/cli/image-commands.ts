import { Command, Option } from 'commander';
import type { ImageSummary, PullProgress } from '../contract/index.js';
import type { CliContext } from './container-commands.js';
import { formatBytes as formatCliBytes } from './format.js';

/**
 * `vessel image …`: pull (with progress: bars on a terminal, plain lines
 * otherwise), list, inspect, rm, prune. Errors are the usual one line.
 */

export const formatBytes = (n: number): string => formatCliBytes(n, ' ');

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** A progress printer: redraws bars on a terminal, prints each change of a layer's state otherwise. */
export function pullProgressPrinter(out: NodeJS.WriteStream): (p: PullProgress) => void {
  const tty = Boolean(out.isTTY);
  let drawn = 0;
  const seen = new Map<string, string>();
  return (p) => {
    if (!tty) {
      for (const l of p.layers) {
        const key = `${l.digest}:${l.state}`;
        if (seen.get(l.digest) === key || l.state === 'downloading') continue;
        seen.set(l.digest, key);
        out.write(`${l.kind} ${short(l.digest)}: ${l.state} (${formatBytes(l.size)})\n`);
      }
      if (p.message) out.write(`${p.message}\n`);
      return;
    }
    const width = 30;
    const lines = p.layers.map((l) => {
      const frac = l.size > 0 ? l.done / l.size : 1;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      return `${short(l.digest)} [${bar}] ${formatBytes(l.done).padStart(9)} / ${formatBytes(l.size).padEnd(9)} ${l.state}`;
    });
    lines.push(`total ${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}  ${formatBytes(p.rate)}/s  ${p.phase}`);
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    out.write(lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    drawn = lines.length;
  };
}

export function formatImageTable(images: ImageSummary[]): string {
  const rows = [['NAME', 'DIGEST', 'SIZE', 'CREATED', 'USED BY']];
  for (const i of images) {
    rows.push([i.shortName, short(i.digest), formatBytes(i.size), i.created ? i.created.slice(0, 19).replace('T', ' ') : '-', i.usedBy.length ? i.usedBy.map((u) => `${u.sandboxName}/${u.containerName}`).join(',') : '-']);
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ')).join('\n');
}

export function registerImageCommands(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('images: pull from registries, the local store');

  image
    .command('pull <reference>')
    .description('pull an image (Docker Hub short names work: debian:12); resumes an interrupted pull')
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image', 'linux/amd64')
    .option('--insecure', 'plain HTTP (for a registry you trust, e.g. on loopback); refused otherwise')
    .option('-q, --quiet', 'no progress')
    .option('--json', 'print the pulled image as JSON')
    .action(async (reference: string, opts: { platform: string; insecure?: boolean; quiet?: boolean; json?: boolean }) => {
      const abort = new AbortController();
      const onSig = (): void => abort.abort();
      process.once('SIGINT', onSig);
      try {
        const onProgress = opts.quiet || opts.json ? undefined : pullProgressPrinter(process.stderr);
        const img = await ctx.rt().images.pull(reference, { platform: opts.platform, insecure: Boolean(opts.insecure), signal: abort.signal, ...(onProgress ? { onProgress } : {}) });
        if (opts.json) ctx.printJson(img);
        else ctx.print(`${img.name} ${img.digest}`);
      } finally {
        process.off('SIGINT', onSig);
      }
    });

  image
    .command('list')
    .alias('ls')
    .description('list local images (name, digest, size, created, used by)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await ctx.rt().images.list();
      if (opts.json) ctx.printJson(all);
      else ctx.print(all.length === 0 ? "no images: pull one with 'vessel image pull REF'" : formatImageTable(all));
    });

  image
    .command('inspect <image>')
    .description('show an image: config (entrypoint, cmd, env, workdir, user), layers, who uses it')
    .action(async (ref: string) => {
      ctx.printJson(await ctx.rt().images.inspect(ref));
    });

  image
    .command('rm <image...>')
    .alias('remove')
    .description('remove images (refused while a container uses one); frees blobs nothing else uses')
    .option('--json', 'print JSON')
    .action(async (refs: string[], opts: { json?: boolean }) => {
      for (const ref of refs) {
        const r = await ctx.rt().images.remove(ref);
        if (opts.json) ctx.printJson(r);
        else ctx.print(`removed ${r.removed} (freed ${formatBytes(r.freed.bytesFreed)})`);
      }
    });

  image
    .command('import <file>')
    .description('import an oci-archive or docker-archive (what podman save / docker save write)')
    .option('--name <ref>', 'name for the image (default: the name in the archive)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { name?: string; json?: boolean }) => {
      const img = await ctx.rt().images.import(file, opts.name !== undefined ? { name: opts.name } : {});
      if (opts.json) ctx.printJson(img);
      else ctx.print(`${img.name} ${img.digest}`);
    });

  image
    .command('export <image>')
    .description('write an image to an archive podman load / docker load read')
    .requiredOption('-o, --output <file>', 'the archive to write (must not exist)')
    .addOption(new Option('--format <format>', 'archive format').choices(['oci-archive', 'docker-archive']).default('oci-archive'))
    .action(async (ref: string, opts: { output: string; format: 'oci-archive' | 'docker-archive' }) => {
      await ctx.rt().images.export(ref, opts.output, opts.format);
      ctx.print(`wrote ${opts.output} (${opts.format})`);
    });

  image
    .command('prune')
    .description('remove blobs and unpacked trees no image or container uses (--all: also partial downloads)')
    .option('--all', 'also drop partial downloads kept for resuming')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const r = await ctx.rt().images.prune({ all: Boolean(opts.all) });
      if (opts.json) ctx.printJson(r);
      else ctx.print(`removed ${r.blobsRemoved} blobs (${formatBytes(r.bytesFreed)}), ${r.unpackedRemoved} unpacked trees`);
    });
}
