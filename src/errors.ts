/**
 * The one error model of haproxy-acme. Every failure that leaves a module is an AppError
 * subclass; the code that creates it decides `retryable`, and only `cli/` maps `code` to a
 * user message, a hint and an exit code.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'ACME_PROBLEM'
  | 'ACME_NETWORK'
  | 'ACME_TIMEOUT'
  | 'ACME_RATE_LIMITED'
  | 'CHALLENGE_BIND'
  | 'CHALLENGE_PREFLIGHT'
  | 'CHALLENGE_INVALID'
  | 'STORAGE_IO'
  | 'STORAGE_CORRUPT'
  | 'STORAGE_CONFLICT'
  | 'STORAGE_OPEN_FILES_LIMIT'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_KEPT'
  | 'LOCK_BUSY'
  | 'LOCK_LOST'
  | 'HAPROXY'
  | 'HOOK_FAILED'
  | 'DEADLINE_EXCEEDED'
  | 'INTERRUPTED'
  | 'INTERNAL';

/** Options shared by every AppError constructor. */
export interface AppErrorOptions {
  /** The lower-level error this one wraps. Never dropped. */
  cause?: unknown;
  /** Whether repeating the same operation later may succeed. Default: false. */
  retryable?: boolean;
}

/** Base class: a message for humans, a stable `code` for machines, and the cause chain. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad flag, environment variable or snap option; maps to exit code 2. */
export class ConfigError extends AppError {
  /** Where the bad value came from, e.g. `--http-port`, `ACME_PORT`, `snap option acme-port`. */
  readonly source: string | undefined;

  constructor(message: string, options: AppErrorOptions & { source?: string } = {}) {
    super('CONFIG_INVALID', message, options);
    this.source = options.source;
  }
}

/** Failure talking to the ACME server, or a problem document it returned (RFC 8555 §6.7). */
export class AcmeError extends AppError {
  /** RFC 8555 §6.7 problem type, e.g. `urn:ietf:params:acme:error:rateLimited`. */
  readonly problemType: string | undefined;
  /** HTTP status of the failing response, when there was one. */
  readonly status: number | undefined;
  /** How long the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: Extract<ErrorCode, `ACME_${string}`>,
    message: string,
    options: AppErrorOptions & { problemType?: string; status?: number; retryAfterMs?: number } = {},
  ) {
    super(code, message, options);
    this.problemType = options.problemType;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The HTTP-01 responder could not listen, or a challenge could not be proven. */
export class ChallengeError extends AppError {
  /** The local port (or unix socket path) of the responder involved. */
  readonly port: number | string | undefined;

  constructor(
    code: Extract<ErrorCode, `CHALLENGE_${string}`>,
    message: string,
    options: AppErrorOptions & { port?: number | string } = {},
  ) {
    super(code, message, options);
    this.port = options.port;
  }
}

/** A file under `--home` could not be read or written, or holds something unexpected. */
export class StorageError extends AppError {
  readonly path: string;

  constructor(
    code: Extract<ErrorCode, `STORAGE_${string}`>,
    message: string,
    options: AppErrorOptions & { path: string },
  ) {
    super(code, message, options);
    this.path = options.path;
  }
}

/** A certificate, chain or key fails a check (mismatch, missing name, unparsable PEM). */
export class CertificateError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super('CERTIFICATE_INVALID', message, options);
  }
}

/**
 * The CA issued a certificate, but a later step (reading or storing it) failed. The certificate
 * and its key are kept under `--home` (`keptPath`), so the next run finishes from them without a
 * new order: retryable.
 */
export class KeptCertificateError extends AppError {
  /** Where the issued certificate and its key are kept, e.g. `<home>/issued/example.com.json`. */
  readonly keptPath: string;

  constructor(message: string, options: AppErrorOptions & { keptPath: string }) {
    super('CERTIFICATE_KEPT', message, { retryable: true, ...options });
    this.keptPath = options.keptPath;
  }
}

/**
 * A lock could not be taken (`LOCK_BUSY`: another holder kept it past the wait), or a held one can
 * no longer be proven (`LOCK_LOST`: taken over, or not refreshed in time). Retryable either way.
 */
export class LockError extends AppError {
  /** Where the lock lives, e.g. `<home>/lock` (a path for the file backend). */
  readonly lockPath: string;

  constructor(
    message: string,
    options: AppErrorOptions & { lockPath: string; code?: Extract<ErrorCode, `LOCK_${string}`> },
  ) {
    super(options.code ?? 'LOCK_BUSY', message, { retryable: true, ...options });
    this.lockPath = options.lockPath;
  }
}

/**
 * A HAProxy runtime (stats) or master socket refused a command, gave an unexpected reply, or
 * could not be reached. `command` and `reply` never hold PEM or key material.
 */
export class HaproxyError extends AppError {
  /** The command line sent, without any payload, e.g. `commit ssl cert /srv/x.pem`. */
  readonly command: string;
  /** HAProxy's reply (severity prefixes kept), when one arrived. */
  readonly reply: string | undefined;
  /** The socket, as `formatRuntimeEndpoint()` prints it, e.g. `unix@/run/haproxy/admin.sock`. */
  readonly endpoint: string;

  constructor(message: string, options: AppErrorOptions & { command: string; reply?: string; endpoint: string }) {
    super('HAPROXY', message, options);
    this.command = options.command;
    this.reply = options.reply;
    this.endpoint = options.endpoint;
  }
}

/**
 * A deploy hook was refused (unsafe file, not executable), could not start, failed or timed out.
 * Hook failures never undo a renewal; `deploy-hooks/` records them in its results.
 */
export class HookError extends AppError {
  /** The hook's exit status, when it exited. */
  readonly exitCode: number | null;
  /** The signal that ended the hook, e.g. `SIGKILL`, when one did. */
  readonly signal: string | null;
  /** True when the hook ran past its timeout and its process group was killed. */
  readonly timedOut: boolean;

  constructor(
    message: string,
    options: AppErrorOptions & { exitCode?: number | null; signal?: string | null; timedOut?: boolean } = {},
  ) {
    super('HOOK_FAILED', message, options);
    this.exitCode = options.exitCode ?? null;
    this.signal = options.signal ?? null;
    this.timedOut = options.timedOut ?? false;
  }
}

/**
 * A command ran past its overall deadline (`--timeout`). Retryable: the next run may find the CA
 * or the network responsive again.
 */
export class DeadlineError extends AppError {
  /** The deadline that passed, in ms. */
  readonly timeoutMs: number;
  /** The step the command was in, e.g. `create an order for "a.test"`, when known. */
  readonly step: string | undefined;

  constructor(message: string, options: AppErrorOptions & { timeoutMs: number; step?: string }) {
    super('DEADLINE_EXCEEDED', message, { retryable: true, ...options });
    this.timeoutMs = options.timeoutMs;
    this.step = options.step;
  }
}

/**
 * The command was stopped by SIGINT or SIGTERM before it finished. Retryable: what it did is either
 * complete or left for the next run to finish (every write is atomic, every lock released).
 */
export class InterruptedError extends AppError {
  /** The signal that stopped the command, e.g. `SIGTERM`. */
  readonly signal: string;

  constructor(message: string, options: AppErrorOptions & { signal: string }) {
    super('INTERRUPTED', message, { retryable: true, ...options });
    this.signal = options.signal;
  }
}

/** Returns the message of any thrown value, for wrapping with context. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
