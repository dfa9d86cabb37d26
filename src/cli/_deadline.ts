import { DeadlineError } from '../errors';

/** A running command's overall deadline (`--timeout`). */
export interface Deadline {
  /** Rejects with a DeadlineError when the deadline passes; never resolves. */
  readonly expired: Promise<never>;
  /** Aborted, with that DeadlineError as reason, when the deadline passes. */
  readonly signal: AbortSignal;
  /** Whether the deadline has passed. */
  hasExpired(): boolean;
  /** Stops the timer; idempotent. */
  cancel(): void;
}

/** `2s`, `90s`, `30m`, `24h`: the largest unit that divides `ms` exactly (pure; config/ has the same for its messages). */
export function describeTimeout(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The message of a passed deadline (pure). Sample: `Cannot finish within 30m (--timeout): it was
 * still trying to create an order for "a.test"; raise --timeout (ACME_TIMEOUT, snap option
 * acme-timeout) if the CA is slow`.
 */
export function deadlineMessage(timeoutMs: number, step: string | undefined): string {
  const doing = step === undefined ? 'it was still running' : `it was still trying to ${step}`;
  return `Cannot finish within ${describeTimeout(timeoutMs)} (--timeout): ${doing}; raise --timeout (ACME_TIMEOUT, snap option acme-timeout) if the CA is slow`;
}

/** The deadline of a command that runs until it is stopped (`acme sync --follow`): never passes. */
export function noDeadline(): Deadline {
  return {
    expired: new Promise<never>(() => undefined),
    signal: new AbortController().signal,
    hasExpired: () => false,
    cancel: () => undefined,
  };
}

/**
 * Starts the deadline: after `timeoutMs`, `expired` rejects and `signal` aborts with a DeadlineError
 * naming the step `currentStep()` reports then (the ACME operation in flight), if any.
 */
export function startDeadline(timeoutMs: number, currentStep: () => string | undefined = () => undefined): Deadline {
  let expired = false;
  let timer: NodeJS.Timeout | undefined;
  const controller = new AbortController();
  const promise = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      expired = true;
      const step = currentStep();
      const error = new DeadlineError(deadlineMessage(timeoutMs, step), {
        timeoutMs,
        ...(step === undefined ? {} : { step }),
      });
      reject(error);
      controller.abort(error);
    }, timeoutMs);
  });
  // Raced against the command; if the command wins, nobody awaits this promise any more.
  promise.catch(() => undefined);
  return {
    expired: promise,
    signal: controller.signal,
    hasExpired: () => expired,
    cancel: () => clearTimeout(timer),
  };
}
