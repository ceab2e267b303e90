#!/usr/bin/env node
// Copies non-TypeScript runtime files (the agent .proto) next to the compiled
// JavaScript, and stamps the build so `npm run setup` can skip it next time.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = path.join(root, 'core', 'agent', 'proto');
if (existsSync(protoDir)) {
  const out = path.join(root, 'dist', 'core', 'agent', 'proto');
  mkdirSync(out, { recursive: true });
  cpSync(protoDir, out, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
mkdirSync(path.join(root, 'dist'), { recursive: true });
writeFileSync(path.join(root, 'dist', '.build-stamp'), new Date().toISOString() + '\n');
