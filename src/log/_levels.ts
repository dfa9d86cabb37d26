/** Log levels and what each verbosity shows; shared by every logger this module builds. */

/** A log line's level, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How much to log: `quiet` shows warnings and errors, `verbose` adds debug lines. */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The lowest level each verbosity writes. */
export const LOWEST_LEVEL: Record<Verbosity, LogLevel> = { quiet: 'warn', normal: 'info', verbose: 'debug' };

/** True when a line of `level` is written at `verbosity`. */
export function isLevelEnabled(level: LogLevel, verbosity: Verbosity): boolean {
  return RANK[level] >= RANK[LOWEST_LEVEL[verbosity]];
}
