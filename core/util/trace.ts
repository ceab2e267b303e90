// Phase tracing for diagnosis: with VESSEL_TRACE_FILE set, a command appends
// one line per phase it reaches ("PID MS PHASE"), so a command that hangs
// shows where (the integration tests set it and print a timed-out command's
// lines). Unset, it costs nothing.
import { appendFileSync } from 'node:fs';

const file = process.env.VESSEL_TRACE_FILE;
const t0 = Date.now();

export function trace(phase: string): void {
  if (!file) return;
  try {
    appendFileSync(file, `${process.pid} ${Date.now() - t0} ${phase}\n`);
  } catch {
    // diagnosis only
  }
}

/** p, with its start and end traced. */
export function traced<T>(phase: string, p: Promise<T>): Promise<T> {
  if (!file) return p;
  trace(`${phase} …`);
  return p.then(
    (v) => {
      trace(`${phase} done`);
      return v;
    },
    (err: unknown) => {
      trace(`${phase} failed: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
      throw err;
    },
  );
}
