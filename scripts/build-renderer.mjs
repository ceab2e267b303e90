#!/usr/bin/env node
// Bundles the React renderer (renderer/src/main.tsx) and the Electron preload
// with esbuild: one JS file, one CSS file, a static index.html. The same
// output is served by `vessel serve` and by Electron's vessel:// protocol.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'renderer');
mkdirSync(out, { recursive: true });
const production = process.env.NODE_ENV !== 'development';

await build({
  entryPoints: [path.join(root, 'renderer', 'src', 'main.tsx')],
  bundle: true,
  outfile: path.join(out, 'app.js'),
  format: 'esm',
  platform: 'browser',
  target: ['chrome120'],
  jsx: 'automatic',
  minify: production,
  sourcemap: true,
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
  logLevel: 'warning',
});
copyFileSync(path.join(root, 'renderer', 'index.html'), path.join(out, 'index.html'));

// The preload runs sandboxed: it must be one CommonJS file with no imports
// but 'electron'.
await build({
  entryPoints: [path.join(root, 'electron', 'preload.ts')],
  bundle: true,
  outfile: path.join(root, 'dist', 'electron', 'preload.cjs'),
  format: 'cjs',
  platform: 'node',
  target: ['node20'],
  external: ['electron'],
  logLevel: 'warning',
});
