import winston from 'winston';
import type { Logger, LogFields } from './logger';
import { redactSecrets, redactValue } from './_redact';
import { LOWEST_LEVEL } from './_levels';

/** Options of createLogger(). */
export interface CreateLoggerOptions {
  /** `quiet` shows warnings and errors, `verbose` adds debug lines. Default: `normal` (info). */
  verbosity?: 'quiet' | 'normal' | 'verbose';
  /** Human-readable coloured text (a TTY) or one JSON object per line (pipes, journald). Default: `json`. */
  format?: 'text' | 'json';
  /** Where lines go. Default: process.stderr, because stdout carries results (`--json`, tables). */
  stream?: NodeJS.WritableStream;
}

/**
 * Redacts every field, however nested: the JSON format would otherwise print field strings as they
 * are; and serialises errors, which winston would print as `{}`.
 */
function plainFields(fields: LogFields): LogFields {
  return redactValue(fields) as LogFields;
}

const redactFormat = winston.format((info) => {
  info.message = redactSecrets(String(info.message));
  return info;
});

function textLine(info: winston.Logform.TransformableInfo): string {
  const { level, message, ...rest } = info;
  const extras = Object.entries(rest)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${level} ${String(message)}${extras.length > 0 ? `  ${redactSecrets(extras.join(' '))}` : ''}`;
}

class WinstonLogger implements Logger {
  constructor(
    private readonly inner: winston.Logger,
    private readonly bound: LogFields = {},
  ) {}
  debug(message: string, fields: LogFields = {}): void {
    this.inner.debug(message, plainFields({ ...this.bound, ...fields }));
  }
  info(message: string, fields: LogFields = {}): void {
    this.inner.info(message, plainFields({ ...this.bound, ...fields }));
  }
  warn(message: string, fields: LogFields = {}): void {
    this.inner.warn(message, plainFields({ ...this.bound, ...fields }));
  }
  error(message: string, fields: LogFields = {}): void {
    this.inner.error(message, plainFields({ ...this.bound, ...fields }));
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.inner, { ...this.bound, ...fields });
  }
}

/** Builds the process logger: text on a TTY, JSON lines otherwise, always to stderr, secrets redacted. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const lineFormat =
    format === 'text'
      ? winston.format.combine(redactFormat(), winston.format.colorize(), winston.format.printf(textLine))
      : winston.format.combine(redactFormat(), winston.format.json());
  const inner = winston.createLogger({
    level: LOWEST_LEVEL[options.verbosity ?? 'normal'],
    format: lineFormat,
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
  return new WinstonLogger(inner);
}
