/**
 * One daemon pass as a child process, with a bound on how long it may live. The pass (`acme
 * renew`) enforces its own deadline (`--timeout`) and tells the parent over the IPC channel how
 * long that is, since the parent never loads the configuration. A pass that outlives its deadline
 * by PASS_KILL_GRACE_MS is killed: its event loop is blocked, or its own stop failed. Without this,
 * one stuck pass would make the daemon skip every later tick as an overlap, for good.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log';

/** `kind` of the message a pass sends its parent once it knows its deadline. */
export const PASS_DEADLINE_KIND = 'haproxy-acme:deadline';
/** How long after its own deadline a pass is killed: time to log, release the lock and exit. */
export const PASS_KILL_GRACE_MS = 60_000;
/**
 * How long a pass may run before it reports its deadline (it reports it once its configuration is
 * loaded, within seconds). A pass that never does is killed after this.
 */
export const PASS_UNREPORTED_LIMIT_MS = 10 * 60_000;
/** The longest deadline a pass can have (`--timeout` at most 24 hours); a larger report is ignored. */
const MAX_PASS_TIMEOUT_MS = 86_400_000;

/** What a pass sends its parent over the IPC channel. */
export interface PassDeadlineMessage {
  kind: typeof PASS_DEADLINE_KIND;
  timeoutMs: number;
}

/** Options of runPass(). */
export interface RunPassOptions {
  logger: Logger;
  /** Default: PASS_KILL_GRACE_MS. */
  graceMs?: number;
  /** Default: PASS_UNREPORTED_LIMIT_MS. */
  unreportedLimitMs?: number;
}

/** The deadline in a message from a pass, or undefined for anything else (pure). Sample: `{ kind: "haproxy-acme:deadline", timeoutMs: 1800000 }` → 1800000. */
export function reportedDeadlineMs(message: unknown): number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { kind, timeoutMs } = message as Partial<Record<keyof PassDeadlineMessage, unknown>>;
  if (kind !== PASS_DEADLINE_KIND || typeof timeoutMs !== 'number') return undefined;
  return Number.isSafeInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_PASS_TIMEOUT_MS ? timeoutMs : undefined;
}

/**
 * Runs `execPath args` as a pass (stdio inherited, plus an IPC channel on which it reports its
 * deadline) and resolves to its exit code: 1 when it was killed, ended by a signal or could not start.
 */
export function runPass(execPath: string, args: readonly string[], options: RunPassOptions): Promise<number> {
  const graceMs = options.graceMs ?? PASS_KILL_GRACE_MS;
  const { logger } = options;
  return new Promise((resolve) => {
    const child = spawn(execPath, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    let timer: NodeJS.Timeout | undefined;
    const killAfter = (ms: number, why: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        logger.error(`Killed the renewal pass: ${why}`, { pid: child.pid });
        child.kill('SIGKILL');
      }, ms);
    };
    const settle = (code: number): void => {
      clearTimeout(timer);
      resolve(code);
    };
    killAfter(
      options.unreportedLimitMs ?? PASS_UNREPORTED_LIMIT_MS,
      'it did not report its deadline (--timeout) in time',
    );
    child.on('message', (message: unknown) => {
      const timeoutMs = reportedDeadlineMs(message);
      if (timeoutMs !== undefined)
        killAfter(timeoutMs + graceMs, `it ran ${graceMs} ms past its own deadline of ${timeoutMs} ms (--timeout)`);
    });
    child.once('error', (error) => {
      logger.error('Cannot start the renewal pass', { error: error.message });
      settle(1);
    });
    child.once('exit', (code) => settle(code ?? 1));
  });
}
