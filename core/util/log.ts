import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogSource = 'runtime' | 'hypervisor' | 'agent';

/**
 * Structured JSON-lines logger, one file per sandbox. Logging never throws:
 * a full disk must not turn a stop into a failure.
 */
export class JsonLogger {
  constructor(private readonly file: string | null, private readonly fields: Record<string, unknown> = {}) {}

  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.file, { ...this.fields, ...fields });
  }

  log(level: LogLevel, source: LogSource, msg: string, extra: Record<string, unknown> = {}): void {
    if (this.file === null) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, source, msg, ...this.fields, ...extra });
    try {
      appendFileSync(this.file, line + '\n');
    } catch {
      // ignored on purpose: see class comment
    }
  }

  info(source: LogSource, msg: string, extra?: Record<string, unknown>): void {
    this.log('info', source, msg, extra);
  }

  warn(source: LogSource, msg: string, extra?: Record<string, unknown>): void {
    this.log('warn', source, msg, extra);
  }

  error(source: LogSource, msg: string, extra?: Record<string, unknown>): void {
    this.log('error', source, msg, extra);
  }
}
