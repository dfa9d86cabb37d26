/**
 * SIGINT/SIGTERM during a one-shot command (the daemon has its own graceful stop): the first
 * signal aborts the command's AbortController with an InterruptedError; the command then releases
 * its locks and exits 130 (SIGINT) or 143 (SIGTERM), the shells' 128 + signal number. A second
 * signal ends the process at once. Nothing is lost either way: every write is atomic and every
 * step the command had done is one the next run finds complete or finishes.
 */
import { InterruptedError } from '../errors';

/** The signals that interrupt a command. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a command stopped by SIGINT (128 + 2). */
export const EXIT_SIGINT = 130;
/** Exit code of a command stopped by SIGTERM (128 + 15). */
export const EXIT_SIGTERM = 143;

/** How long an interrupted command's body may take to stop (release its locks) before the process ends anyway. */
export const INTERRUPT_GRACE_MS = 2000;

/** 130 for SIGINT, 143 for SIGTERM (pure). */
export function exitCodeOfSignal(signal: InterruptSignal): number {
  return signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
}

/**
 * The message of an interrupted command (pure). Sample: `Cannot finish the command: interrupted by
 * SIGTERM while it was trying to wait for another acme command (pid 42) to finish; nothing was
 * lost (every file is written whole or not at all, and the lock is released); run the command again to finish`.
 */
export function interruptedMessage(signal: InterruptSignal, step: string | undefined): string {
  const doing = step === undefined ? '' : ` while it was trying to ${step}`;
  return (
    `Cannot finish the command: interrupted by ${signal}${doing}; nothing was lost (every file is written whole ` +
    'or not at all, and the lock is released); run the command again to finish'
  );
}

/** Subscribes `listener` to SIGINT and SIGTERM; returns the unsubscribe function. */
export type OnInterrupt = (listener: (signal: InterruptSignal) => void) => () => void;

/** One command's cancellation by signal. */
export interface Cancellation {
  /** Aborted, with an InterruptedError as reason, on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Rejects with that InterruptedError on the first signal; never resolves. */
  readonly interrupted: Promise<never>;
  /** The exit code once interrupted (130 or 143); undefined before. */
  exitCode(): number | undefined;
  /** Stops listening; idempotent. */
  dispose(): void;
}

/** Options of startCancellation(). */
export interface CancellationOptions {
  /** The step in flight when the signal came, for the message. Default: always unknown. */
  currentStep?: () => string | undefined;
  /** Called with the exit code on a second signal: end the process now. Default: nothing. */
  exitNow?: (code: number) => void;
}

/** Starts listening through `onInterrupt` (none: a command that is never interrupted). */
export function startCancellation(
  onInterrupt: OnInterrupt | undefined,
  options: CancellationOptions = {},
): Cancellation {
  const controller = new AbortController();
  let code: number | undefined;
  let reject!: (error: InterruptedError) => void;
  const interrupted = new Promise<never>((_resolve, fail) => (reject = fail));
  // Raced against the command; if the command wins, nobody awaits this promise.
  interrupted.catch(() => undefined);
  const unsubscribe =
    onInterrupt?.((signal) => {
      if (code !== undefined) return options.exitNow?.(code);
      code = exitCodeOfSignal(signal);
      const step = options.currentStep?.();
      const error = new InterruptedError(interruptedMessage(signal, step), { signal });
      controller.abort(error);
      reject(error);
    }) ?? ((): void => undefined);
  let disposed = false;
  return {
    signal: controller.signal,
    interrupted,
    exitCode: () => code,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      unsubscribe();
    },
  };
}

/** Resolves once `work` settles or `ms` pass, whichever is first; never rejects. */
export async function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (work === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((done) => (timer = setTimeout(done, ms))),
  ]);
  clearTimeout(timer);
}
