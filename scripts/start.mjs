#!/usr/bin/env node
// `npm start`: the desktop window when an Electron binary is installed,
// otherwise browser mode (`vessel serve`), which prints the URL to open.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Electron binary's path, or why there is none. */
export function findElectron() {
  try {
    const binary = require('electron'); // the npm package exports the binary's path
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { reason: `the electron package points at ${binary}, which does not exist` };
  } catch (err) {
    return { reason: `no Electron binary (${err.message.split('\n')[0]})` };
  }
}

const args = process.argv.slice(2);
const found = findElectron();
let child;
if (found.binary && !process.env.VESSEL_BROWSER_MODE) {
  child = spawn(found.binary, [root, ...args], { stdio: 'inherit' });
} else {
  process.stderr.write(`vessel: ${found.reason ?? 'VESSEL_BROWSER_MODE is set'}: starting in browser mode instead\n`);
  child = spawn(process.execPath, [path.join(root, 'dist', 'core', 'cli', 'main.js'), 'serve', ...args], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
