import { isLevelEnabled, type LogLevel, type Verbosity } from './_levels';
import type { LogFields, Logger } from './logger';

/** The logger that writes, made once, on the first line that passes the level. */
class Target {
  private made: Logger | undefined;
  constructor(private readonly make: () => Logger) {}
  get(): Logger {
    this.made ??= this.make();
    return this.made;
  }
}

class DeferredLogger implements Logger {
  constructor(
    private readonly target: Target,
    private readonly verbosity: Verbosity,
    private readonly bound: LogFields = {},
  ) {}
  debug(message: string, fields: LogFields = {}): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields: LogFields = {}): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields: LogFields = {}): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields: LogFields = {}): void {
    this.write('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new DeferredLogger(this.target, this.verbosity, { ...this.bound, ...fields });
  }
  private write(level: LogLevel, message: string, fields: LogFields): void {
    if (!isLevelEnabled(level, this.verbosity)) return;
    this.target.get()[level](message, { ...this.bound, ...fields });
  }
}

/**
 * A logger that builds the real one (`make`) only when it first has a line to write at
 * `verbosity`; children share it. A quiet run that succeeds writes nothing, so it never loads
 * winston and its ~85 modules (~4 MB of RSS, ~15 ms). `make` must build a logger at the same
 * verbosity: lines below it are dropped here already.
 */
export function createDeferredLogger(verbosity: Verbosity, make: () => Logger): Logger {
  return new DeferredLogger(new Target(make), verbosity);
}
