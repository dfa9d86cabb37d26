import type { Logger, LogFields } from './logger';
import { isLevelEnabled, type LogLevel as Level } from './_levels';
import { redactSecrets, redactValue } from './_redact';

/** Options of createPlainLogger(); the same meaning as createLogger()'s. */
export interface PlainLoggerOptions {
  /** Default: `normal` (info and above). */
  verbosity?: 'quiet' | 'normal' | 'verbose';
  /** Default: `json`, one object per line with sorted keys, like the winston logger's. */
  format?: 'text' | 'json';
  /** Default: process.stderr. */
  stream?: NodeJS.WritableStream;
}

/** Plain objects with their keys sorted, at every depth (as winston's json format writes them). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]),
  );
}

/** The JSON line: fields, level and message, one object per line. */
function jsonLine(level: Level, message: string, fields: LogFields): string {
  return `${JSON.stringify({ ...fields, level, message }, sortedKeys)}\n`;
}

function textLine(level: Level, message: string, fields: LogFields): string {
  const extras = Object.entries(fields).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return `${level} ${message}${extras.length > 0 ? `  ${extras.join(' ')}` : ''}\n`;
}

class PlainLogger implements Logger {
  constructor(
    private readonly write: (level: Level, message: string, fields: LogFields) => void,
    private readonly bound: LogFields = {},
  ) {}
  debug(message: string, fields: LogFields = {}): void {
    this.write('debug', message, { ...this.bound, ...fields });
  }
  info(message: string, fields: LogFields = {}): void {
    this.write('info', message, { ...this.bound, ...fields });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.write('warn', message, { ...this.bound, ...fields });
  }
  error(message: string, fields: LogFields = {}): void {
    this.write('error', message, { ...this.bound, ...fields });
  }
  child(fields: LogFields): Logger {
    return new PlainLogger(this.write, { ...this.bound, ...fields });
  }
}

/**
 * A logger that writes lines itself, for the daemon's long-lived parent: winston and its
 * dependencies cost ~10 MB of RSS there, for a handful of lines a day. Same levels, line shapes
 * and redaction as createLogger()'s; no colours.
 */
export function createPlainLogger(options: PlainLoggerOptions = {}): Logger {
  const verbosity = options.verbosity ?? 'normal';
  const stream = options.stream ?? process.stderr;
  const line = options.format === 'text' ? textLine : jsonLine;
  return new PlainLogger((level, message, fields) => {
    if (!isLevelEnabled(level, verbosity)) return;
    stream.write(line(level, redactSecrets(message), redactValue(fields) as LogFields));
  });
}
