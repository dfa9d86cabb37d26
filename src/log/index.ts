import type { Logger } from './logger';
import type { CreateLoggerOptions as WinstonLoggerOptions } from './_winston';
import { createDeferredLogger } from './_deferred';
import { createPlainLogger } from './_plain';

export { CapturingLogger, silentLogger } from './logger';
export type { Logger, LogFields, LogRecord } from './logger';
export { redactSecrets } from './_redact';
export { createPlainLogger, type PlainLoggerOptions } from './_plain';

/** How much to log: -v wins over -q; neither is `normal` (pure). */
export function verbosityOf(flags: { verbose?: boolean; quiet?: boolean }): 'quiet' | 'normal' | 'verbose' {
  return flags.verbose === true ? 'verbose' : flags.quiet === true ? 'quiet' : 'normal';
}

/** Options of createLogger(). */
export interface CreateLoggerOptions extends WinstonLoggerOptions {
  /** Write lines without winston (see createPlainLogger), for a long-lived small process. Default: false. */
  plain?: boolean;
}

/**
 * Builds the process logger: text on a TTY, JSON lines otherwise, always to stderr, secrets
 * redacted. Winston is loaded with the first line written, so a run that writes none (a quiet
 * success) never loads it.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  if (options.plain === true) return createPlainLogger(options);
  return createDeferredLogger(options.verbosity ?? 'normal', () =>
    // Required on first use, see above.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose
    (require('./_winston') as typeof import('./_winston')).createLogger(options),
  );
}
