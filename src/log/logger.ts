/** Structured fields attached to a log line. Never put PEM, keys or key authorizations here. */
export type LogFields = Record<string, unknown>;

/** The logging contract every module receives through its options. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
}

/** One captured log line (see CapturingLogger). */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** In-memory logger for tests: records every line, writes nothing. */
export class CapturingLogger implements Logger {
  constructor(
    readonly records: LogRecord[] = [],
    private readonly bound: LogFields = {},
  ) {}

  debug(message: string, fields: LogFields = {}): void {
    this.records.push({ level: 'debug', message, fields: { ...this.bound, ...fields } });
  }
  info(message: string, fields: LogFields = {}): void {
    this.records.push({ level: 'info', message, fields: { ...this.bound, ...fields } });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.records.push({ level: 'warn', message, fields: { ...this.bound, ...fields } });
  }
  error(message: string, fields: LogFields = {}): void {
    this.records.push({ level: 'error', message, fields: { ...this.bound, ...fields } });
  }
  child(fields: LogFields): Logger {
    return new CapturingLogger(this.records, { ...this.bound, ...fields });
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
