/**
 * The daemon's second child: `acme sync --follow --if-shared`, which keeps this node serving what
 * a shared store holds (and, with `--http01-mode shared`, answers HTTP-01 for every node). It
 * runs as long as the daemon does; one that ends with a failure is started again after a backoff,
 * one that exits 0 (the store is not shared) is left alone.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log';

/** First restart delay after a failure, doubling up to MAX_RESTART_MS. */
const MIN_RESTART_MS = 1_000;
const MAX_RESTART_MS = 60_000;
/** How long a follower asked to stop gets before it is killed. */
const STOP_GRACE_MS = 10_000;

/** Options of superviseFollower(). */
export interface SuperviseFollowerOptions {
  logger: Logger;
  /** Stops the follower (SIGTERM, then SIGKILL after 10 s) and the supervision. */
  signal: AbortSignal;
}

/**
 * Runs `execPath args` with inherited stdio until it exits 0 or `signal` aborts; restarts it after
 * a failure. Resolves once it is no longer running. Never rejects.
 */
export async function superviseFollower(
  execPath: string,
  args: readonly string[],
  options: SuperviseFollowerOptions,
): Promise<void> {
  const { logger, signal } = options;
  let failures = 0;
  while (!signal.aborted) {
    const startedAt = Date.now();
    const code = await runOnce(execPath, args, signal, logger);
    if (code === 0 || signal.aborted) return;
    // A follower that ran for a while before it failed starts again soon, not after the longest wait.
    failures = Date.now() - startedAt > MAX_RESTART_MS ? 1 : failures + 1;
    const delay = Math.min(MAX_RESTART_MS, MIN_RESTART_MS * 2 ** Math.min(failures - 1, 10));
    logger.warn('The store follower (acme sync --follow) stopped; starting it again', {
      exitCode: code,
      delayMs: delay,
    });
    // An abort ends the wait early; the loop sees the signal and stops.
    await sleep(delay, undefined, { signal }).catch(() => undefined);
  }
}

function runOnce(execPath: string, args: readonly string[], signal: AbortSignal, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    signal.addEventListener('abort', stop, { once: true });
    child.once('error', (error) => logger.error('Cannot start the store follower', { error: error.message }));
    child.once('close', (code) => {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', stop);
      resolve(code ?? 1);
    });
  });
}
