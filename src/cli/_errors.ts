import { AppError, type ErrorCode } from '../errors';
import { redactSecrets } from '../log';

/** Exit codes: the contract scripts rely on. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

interface ErrorPresentation {
  exitCode: number;
  /** What the user should do next; undefined when the message already says it. */
  hint?: string;
}

/** The one table from error code to exit code and remediation hint. */
const PRESENTATION: Record<ErrorCode, ErrorPresentation> = {
  CONFIG_INVALID: { exitCode: EXIT_BAD_INPUT, hint: 'Run "acme <command> --help" for the accepted values' },
  ACME_PROBLEM: { exitCode: EXIT_FAILED },
  ACME_NETWORK: { exitCode: EXIT_FAILED, hint: 'Check --directory, the network path to the CA and --ca-bundle' },
  ACME_TIMEOUT: {
    exitCode: EXIT_FAILED,
    hint: 'The CA answered too slowly; try again later or raise --request-timeout',
  },
  ACME_RATE_LIMITED: { exitCode: EXIT_FAILED, hint: 'The CA rate-limited this request; wait before trying again' },
  CHALLENGE_BIND: { exitCode: EXIT_FAILED },
  CHALLENGE_PREFLIGHT: {
    exitCode: EXIT_FAILED,
    hint: 'See docs/haproxy.md for the route HAProxy needs, or pass --preflight off to skip the check',
  },
  CHALLENGE_INVALID: { exitCode: EXIT_FAILED },
  STORAGE_IO: { exitCode: EXIT_FAILED, hint: 'Check that --home is writable by this user and the disk is not full' },
  STORAGE_CORRUPT: { exitCode: EXIT_FAILED, hint: 'Move the damaged file aside and run the command again' },
  STORAGE_CONFLICT: {
    exitCode: EXIT_FAILED,
    hint: 'Another run changed the certificate meanwhile; run "acme list" to see the current one, then run the command again if still needed',
  },
  STORAGE_OPEN_FILES_LIMIT: {
    exitCode: EXIT_FAILED,
    hint: 'The files are fine: raise the open-files limit ("ulimit -n 4096", or LimitNOFILE= for a service), then run the command again',
  },
  CERTIFICATE_INVALID: { exitCode: EXIT_FAILED },
  CERTIFICATE_KEPT: { exitCode: EXIT_FAILED },
  LOCK_BUSY: { exitCode: EXIT_FAILED, hint: 'Another acme command is running; wait for it to finish' },
  LOCK_LOST: {
    exitCode: EXIT_FAILED,
    hint: 'Another acme command took the lock over; check that the disk under --home is healthy, then run the command again',
  },
  HAPROXY: { exitCode: EXIT_FAILED },
  HOOK_FAILED: { exitCode: EXIT_FAILED },
  DEADLINE_EXCEEDED: {
    exitCode: EXIT_FAILED,
    hint: 'Check that the CA and the network answer; raise --timeout only if the CA is just slow',
  },
  // Exits 130 (SIGINT) or 143 (SIGTERM) instead: see _cancel.ts.
  INTERRUPTED: { exitCode: EXIT_FAILED },
  INTERNAL: { exitCode: EXIT_FAILED, hint: 'This is a bug; please report it with the log above' },
};

/** How one failure is shown: message, hint, machine code, exit code. Secrets are redacted. */
export interface PresentedError {
  code: ErrorCode;
  message: string;
  hint: string | undefined;
  exitCode: number;
  retryable: boolean;
}

/** Controls (but the newline between the lines of a message), format characters (bidi, zero-width) and separators. */
const INVISIBLE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `text` with every invisible character written as `\uXXXX`. A message may quote a raw value that no module
 * escaped (`--schedule "\u001b[2J"`), and the terminal would act on it (found by the CLI property test).
 */
function visible(text: string): string {
  return text.replace(INVISIBLE, (char) => {
    const hex = (char.codePointAt(0) as number).toString(16);
    return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
  });
}

/** Maps any thrown value to what the CLI prints and the exit code it returns. Secrets are redacted, invisible characters escaped. */
export function presentError(error: unknown): PresentedError {
  if (error instanceof AppError) {
    const presentation = PRESENTATION[error.code];
    return {
      code: error.code,
      message: visible(redactSecrets(error.message)),
      hint: presentation.hint,
      exitCode: presentation.exitCode,
      retryable: error.retryable,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'INTERNAL',
    message: visible(redactSecrets(`Unexpected error: ${message}`)),
    hint: PRESENTATION.INTERNAL.hint,
    exitCode: EXIT_FAILED,
    retryable: false,
  };
}
