// The agent launcher and the code-cache recorder. Under TCG the guest spends
// most of the agent's startup compiling JavaScript; a V8 code cache made at
// build time (same node binary, same flags) skips that. A rejected or missing
// cache only costs time: the launcher then compiles from source as usual.

export const AGENT_DIR = '/opt/vessel';
/** The agent's V8 startup snapshot for a guest CPU (tcg or host), when the build could make one: init prefers it. */
export function agentSnapshotPath(cpu: string): string {
  return `${AGENT_DIR}/agent-${cpu}.blob`;
}

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

/**
 * The lines the build host's scripts share: evaluate the bundle at bundlePath
 * the way the launcher does (as the guest's agent.js), exports in `mod`, and
 * run its warm-up.
 */
function evaluateAndWarmUp(bundlePath: string): string {
  return `const fs = require('fs'), vm = require('vm'), Module = require('module');
const file = ${JSON.stringify(AGENT_DIR + '/agent.js')};
const script = new vm.Script(Module.wrap(fs.readFileSync(${JSON.stringify(bundlePath)}, 'utf8')), { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, ${JSON.stringify(AGENT_DIR)});
mod.exports.warmUp();
`;
}

/** A script run on the build host: evaluates the bundle the way the launcher does, warms it up, writes the cache. */
export function renderCacheRecorder(bundlePath: string, cachePath: string): string {
  return `'use strict';
${evaluateAndWarmUp(bundlePath)}fs.writeFileSync(${JSON.stringify(cachePath)}, script.createCachedData());
process.exit(0);
`;
}

/** The marker a snapshot prints when started with VESSEL_AGENT_SNAPSHOT_CHECK=1 (the image build's check that it deserializes). */
export const SNAPSHOT_CHECK_MARKER = 'vessel-agent-snapshot-ok';

/**
 * A script for `node --build-snapshot` on the build host: evaluates the bundle
 * as the launcher would, runs its warm-up, and makes main() the snapshot's
 * entry. Started with `node --snapshot-blob agent.blob`, the guest's node then
 * deserializes the agent's heap, already loaded and set up, instead of reading,
 * compiling and running the bundle under TCG.
 */
export function renderSnapshotBuilder(bundlePath: string): string {
  return `'use strict';
const v8 = require('v8');
${evaluateAndWarmUp(bundlePath)}v8.startupSnapshot.setDeserializeMainFunction(() => {
  if (process.env.VESSEL_AGENT_SNAPSHOT_CHECK === '1') { process.stdout.write(${JSON.stringify(SNAPSHOT_CHECK_MARKER + '\n')}); return; }
  mod.exports.main({ codeCache: 'snapshot' });
});
// node takes the snapshot once the event loop is empty: after this child has come and gone.
mod.exports.warmUpProcesses().catch((err) => { console.error('warm-up spawn failed: ' + err); process.exitCode = 1; });
`;
}
