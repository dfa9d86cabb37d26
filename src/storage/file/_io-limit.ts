/**
 * The one bound on files opened per certificate, and what an exhausted file table is called.
 * A home may hold 10,000 certificates, and the usual open-files limit of a user or a service is
 * 1,024: every pass that opens files per certificate (listing, the doctor's scans, the bundle
 * check at the start of a command, the renewal check) works on at most IO_CONCURRENCY of them at
 * once, so it stays far below that limit whatever the number of certificates.
 */
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StorageError } from '../../errors';

/**
 * Certificates (or entries) worked on at once by any pass that opens files for each of them. One
 * certificate's work opens at most 6 files at a time (a version's 4 files, its renewal and deploy
 * state), so 64 of them stay under 400 descriptors, well below the usual limit of 1,024, and enough
 * to keep the thread pool busy.
 */
export const IO_CONCURRENCY = 64;

/**
 * How long mapLimited() may keep the event loop before it lets timers, sockets and signals run.
 * Storage reads small files synchronously (readTextFile()), so a pass over 10,000 certificates
 * would otherwise hold the loop for its whole length, e.g. while a responder in the same process
 * must answer the CA.
 */
export const YIELD_EVERY_MS = 10;

/** Options of mapLimited(). */
export interface MapLimitedOptions {
  /** Calls of `fn` in flight at once, at least 1 (a value that is not a finite number: the default). Default: IO_CONCURRENCY. */
  limit?: number;
}

/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight, results in the order of
 * `items`. After the first rejection no further call starts; it rejects with that error once the
 * calls in flight have settled (so no file is still open when the caller carries on). Gives the
 * event loop a turn at least every YIELD_EVERY_MS.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: MapLimitedOptions = {},
): Promise<R[]> {
  rememberOpenFilesLimit();
  const wanted = options.limit ?? IO_CONCURRENCY;
  const limit = Number.isFinite(wanted) ? Math.max(1, Math.floor(wanted)) : IO_CONCURRENCY;
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  let turnStarted = performance.now();
  // Every worker waits for the same turn: one that went on would keep the loop on its own.
  let turn: Promise<void> | undefined;
  const giveTurn = (): Promise<void> =>
    (turn ??= nextTurn().then(() => {
      turnStarted = performance.now();
      turn = undefined;
    }));
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (turn !== undefined || performance.now() - turnStarted >= YIELD_EVERY_MS) {
        await giveTurn();
        continue; // the others may have taken the last items meanwhile
      }
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/** Which open-files limit a failure hit: EMFILE (this process's) or ENFILE (the system's); undefined for anything else. */
export type OpenFilesErrno = 'EMFILE' | 'ENFILE';

/** How deep the cause chain is followed: a wrap of a wrap is usual, a longer (or cyclic) chain is not an errno. */
const MAX_CAUSE_DEPTH = 4;

/**
 * The errno of an exhausted file table in `error` or its cause chain (duck-typed: a system error
 * from another realm is not `instanceof Error`); undefined for anything else.
 */
export function openFilesErrno(error: unknown): OpenFilesErrno | undefined {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const code = (current as { code?: unknown }).code;
    if (code === 'EMFILE' || code === 'ENFILE') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A soft limit as /proc/self/limits gives it: a count, or `unlimited`. */
export type OpenFilesSoftLimit = number | 'unlimited';

/** The soft "Max open files" limit in the text of /proc/self/limits; undefined when it does not say. */
export function parseOpenFilesSoftLimit(text: string): OpenFilesSoftLimit | undefined {
  const soft = /^Max open files[ \t]+(\S+)[ \t]+\S+[ \t]+files[ \t]*$/m.exec(text)?.[1];
  if (soft === 'unlimited') return soft;
  return soft !== undefined && /^\d{1,10}$/.test(soft) ? Number(soft) : undefined;
}

let knownSoftLimit: OpenFilesSoftLimit | undefined;

/**
 * Reads this process's soft open-files limit once, before a pass opens anything: once the table is
 * full, /proc/self/limits cannot be opened either. Linux only; elsewhere it stays unknown.
 */
function rememberOpenFilesLimit(): void {
  if (knownSoftLimit !== undefined) return;
  try {
    knownSoftLimit = parseOpenFilesSoftLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    // Not Linux, or no descriptor left: the message then says how to look it up.
  }
}

/**
 * What the message says of a full file table, the state first, then what to do: for EMFILE this
 * process's soft limit (`softLimit`, when known), for ENFILE the system's table. Node raises the
 * soft limit to the hard one when it starts, so only a higher hard limit helps.
 */
export function describeOpenFilesLimit(errno: OpenFilesErrno, softLimit: OpenFilesSoftLimit | undefined): string {
  if (errno === 'ENFILE') {
    return 'the system-wide open-files table is full (ENFILE); close programs that hold many files, or raise the system limit (sysctl fs.file-max), then run the command again';
  }
  const limit =
    softLimit === undefined
      ? 'its soft limit ("ulimit -n" shows it)'
      : `its soft limit ${softLimit === 'unlimited' ? 'unlimited' : String(softLimit)}`;
  return `this process reached its open-files limit (EMFILE, ${limit}; Node raises it to the hard limit at start); raise the hard limit (LimitNOFILE=4096 in the service unit, or "ulimit -n 4096" in the shell that starts acme), or run fewer acme commands and hooks at once`;
}

/**
 * StorageError STORAGE_OPEN_FILES_LIMIT for a failure that is an exhausted file table (in `error`
 * or its causes), naming `path`; undefined for any other failure. Retryable: the files are fine,
 * the next run may find descriptors free.
 */
export function openFilesLimitError(action: string, path: string, error: unknown): StorageError | undefined {
  const errno = openFilesErrno(error);
  if (errno === undefined) return undefined;
  if (error instanceof StorageError && error.code === 'STORAGE_OPEN_FILES_LIMIT') return error;
  if (errno === 'EMFILE') rememberOpenFilesLimit();
  return new StorageError(
    'STORAGE_OPEN_FILES_LIMIT',
    `Cannot ${action} "${path}": ${describeOpenFilesLimit(errno, knownSoftLimit)}`,
    { path, cause: error, retryable: true },
  );
}
