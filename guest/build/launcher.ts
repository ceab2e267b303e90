// The agent launcher and the code-cache recorder. Under TCG the guest spends
// most of the agent's startup compiling JavaScript; a V8 code cache made at
// build time (same node binary, same flags) skips that. A rejected or missing
// cache only costs time: the launcher then compiles from source as usual.

export const AGENT_DIR = '/opt/vessel';

/** /opt/vessel/start.js: loads agent.js (+ agent.cache) and calls its main(). */
export function renderLauncher(dir: string = AGENT_DIR): string {
  return `'use strict';
const fs = require('fs'), vm = require('vm'), Module = require('module');
const file = ${JSON.stringify(dir + '/agent.js')};
let cachedData;
try { cachedData = fs.readFileSync(${JSON.stringify(dir + '/agent.cache')}); } catch {}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, ${JSON.stringify(dir)});
mod.exports.main({ codeCache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used' });
`;
}

/** A script run on the build host: evaluates the bundle the way the launcher does, warms it up, writes the cache. */
export function renderCacheRecorder(bundlePath: string, cachePath: string): string {
  return `'use strict';
const fs = require('fs'), vm = require('vm'), Module = require('module');
const file = ${JSON.stringify(AGENT_DIR + '/agent.js')};
const script = new vm.Script(Module.wrap(fs.readFileSync(${JSON.stringify(bundlePath)}, 'utf8')), { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, ${JSON.stringify(AGENT_DIR)});
mod.exports.warmUp();
fs.writeFileSync(${JSON.stringify(cachePath)}, script.createCachedData());
process.exit(0);
`;
}
