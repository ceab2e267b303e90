// Short JSON lines on the serial console: the host keeps the console log per
// sandbox, so this is what a user reads when a guest misbehaves.
import { openSync, writeSync } from 'node:fs';

type Level = 'info' | 'warn' | 'error';

let consoleFd: number | null | undefined;

function sink(): number | null {
  if (consoleFd === undefined) {
    try {
      consoleFd = process.env.VESSEL_AGENT_LOG === 'stderr' ? null : openSync('/dev/console', 'w');
    } catch {
      consoleFd = null;
    }
  }
  return consoleFd;
}

/** Forget the sink chosen so far (the agent's main() calls it: a V8 snapshot of the agent may carry the build host's choice). */
export function resetLogSink(): void {
  consoleFd = undefined;
}

export function log(level: Level, msg: string, fields?: Record<string, string | number | boolean>): void {
  const line = JSON.stringify({ t: Math.round(performance.now()), lvl: level, src: 'agent', msg, ...fields }) + '\n';
  const fd = sink();
  try {
    writeSync(fd ?? 2, line);
  } catch {
    // a console that cannot be written must not take the agent down
  }
}
