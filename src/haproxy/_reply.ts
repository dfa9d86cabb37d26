import { HaproxyError } from '../errors';

/** What a runtime command's reply means, once it is known not to be an error. */
export type ReplyOutcome =
  | 'success'
  | 'transaction-created'
  | 'transaction-updated'
  | 'transaction-aborted'
  | 'certificate-created'
  | 'certificate-deleted'
  | 'output';

/** A reply that is not an error. */
export interface ClassifiedReply {
  outcome: ReplyOutcome;
  /** The reply with `[N]: ` severity prefixes removed. */
  text: string;
  /** The certificate named by `Transaction created|updated|aborted …` or `New empty certificate store …`. */
  certificate?: string;
}

/** Options of `classifyReply()`. */
export interface ClassifyReplyOptions {
  /** For errors: `formatRuntimeEndpoint()` of the socket. */
  endpoint: string;
}

/** The longest reply excerpt put in an error message. */
const REPLY_EXCERPT_CHARS = 300;

const SEVERITY_PREFIX = /^\[(\d)\]: /;

/** Removes `[N]: ` severity prefixes (from `set severity-output number`) from every line. */
export function stripSeverity(reply: string): string {
  return reply
    .split('\n')
    .map((line) => line.replace(SEVERITY_PREFIX, ''))
    .join('\n');
}

/** Syslog severities (0 emerg … 7 debug) of the prefixed lines, in order. */
export function severitiesOf(reply: string): number[] {
  return reply.split('\n').flatMap((line) => {
    const match = SEVERITY_PREFIX.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

/** Controls, format (bidi, zero-width) and line/paragraph separators: a terminal would act on them or hide them. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `text` with every invisible character written as `\uXXXX`, so that a garbage peer cannot move the
 * cursor or reorder an error message on the user's terminal.
 */
function visible(text: string): string {
  return text.replace(INVISIBLE, (char) => {
    const hex = (char.codePointAt(0) as number).toString(16);
    return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
  });
}

/** The reply on one line (prefixes stripped, lines joined by a space, invisible characters escaped), cut at 300 characters. */
export function replyExcerpt(reply: string): string {
  const lines = stripSeverity(reply)
    .replace(/\0/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const oneLine = visible(lines.join(' ').replace(/\s+/g, ' '));
  return oneLine.length > REPLY_EXCERPT_CHARS ? `${oneLine.slice(0, REPLY_EXCERPT_CHARS - 1)}…` : oneLine;
}

/** Splits an escaped command line into unescaped words (the inverse of `escapeArgument()`). */
function commandWords(command: string): string[] {
  const words: string[] = [];
  let current = '';
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index] ?? '';
    if (char === '\\' && index + 1 < command.length) {
      index += 1;
      current += command[index];
    } else if (char === ' ' || char === '\t') {
      if (current !== '') words.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') words.push(current);
  return words;
}

/** `commit SSL cert "/srv/x.pem"` for `commit ssl cert /srv/x.pem`; `run "<command>"` for others. */
export function describeCommand(command: string): string {
  const words = commandWords(command).map(visible);
  const [verb, ssl, noun, first, second] = words;
  const actions: Record<string, string> = {
    set: 'set',
    commit: 'commit',
    abort: 'abort',
    show: 'show',
    new: 'create',
    del: 'delete',
  };
  const action = actions[verb ?? ''];
  if (ssl === 'ssl' && noun === 'cert' && action !== undefined) {
    return first === undefined ? `${action} SSL certs` : `${action} SSL cert "${first}"`;
  }
  if (ssl === 'ssl' && noun === 'crt-list' && verb === 'add') {
    return second === undefined || second === '<<'
      ? `add to SSL crt-list "${first}"`
      : `add "${second}" to SSL crt-list "${first}"`;
  }
  return `run "${visible(command)}"`;
}

// Replies of 2.6.12 that mean failure (see test/fixtures/haproxy/2.6.12/*.txt). "Can't" covers
// "Can't commit …!", "Can't update …!", "Can't replace a certificate …", "Can't edit the crt-list …".
const FAILURE_LINES: readonly RegExp[] = [
  /^Can't /m,
  /No ongoing transaction/,
  /inconsistencies between private key and certificate/,
  /The transaction must contain at least/,
  /The ongoing transaction is about/,
  /^unable to load/m,
  /already exists!/,
  /expects /,
];

/** Builds the error for a reply HAProxy gave to `command`. */
export function replyError(
  command: string,
  reply: string,
  options: ClassifyReplyOptions & { detail?: string; retryable?: boolean },
): HaproxyError {
  const detail = options.detail ?? `HAProxy replied "${replyExcerpt(reply)}"`;
  return new HaproxyError(`Cannot ${describeCommand(command)}: ${detail}`, {
    command,
    reply,
    endpoint: options.endpoint,
    retryable: options.retryable ?? false,
  });
}

/**
 * Maps a runtime-API reply to an outcome, or throws. `command` is the command line without the
 * severity prefix and payload. Sample replies (2.6.12): `[5]: Transaction created for
 * certificate /srv/a.pem!`, `Committing /srv/a.pem.\nSuccess!`, `[3]: No ongoing transaction!`.
 * @throws HaproxyError for an empty reply (HAProxy closed without answering), `Permission denied`,
 * `Unknown command`, a line with severity 0-3, or a known failure text; retryable only when
 * the certificate lock was busy (`isLockedReply()`).
 */
export function classifyReply(command: string, reply: string, options: ClassifyReplyOptions): ClassifiedReply {
  const text = stripSeverity(reply);
  const failure = failureOf(text, reply);
  if (failure !== undefined) {
    throw replyError(command, reply, {
      ...options,
      retryable: isLockedReply(reply),
      ...(failure === '' ? {} : { detail: failure }),
    });
  }
  return successOf(text);
}

/**
 * Whether HAProxy refused because another certificate command holds its lock (2.6.12:
 * `[3]: Can't update the certificate!\nOperations on certificates are currently locked!`).
 * Nothing was done, so the same command can be sent again.
 */
export function isLockedReply(reply: string): boolean {
  return /Operations on certificates are currently locked!/.test(reply);
}

/** Why a reply is a failure ('' = the default "HAProxy replied …" detail), or undefined when it is not. */
function failureOf(text: string, reply: string): string | undefined {
  if (text.trim() === '')
    return 'HAProxy closed the connection without a reply (an unterminated or oversized payload, or a command this version ignores)';
  if (/^Permission denied/m.test(text))
    return 'HAProxy replied "Permission denied"; the runtime socket needs "level admin" (stats socket <path> mode 600 level admin)';
  const unknown = text.split('\n').find((line) => line.startsWith('Unknown command'));
  if (unknown !== undefined)
    return `HAProxy replied "${replyExcerpt(unknown)}"; this HAProxy version may not support it`;
  if (severitiesOf(reply).some((severity) => severity <= 3) || FAILURE_LINES.some((pattern) => pattern.test(text)))
    return '';
  return undefined;
}

/** The outcome of a reply that is not a failure. */
function successOf(text: string): ClassifiedReply {
  const transaction = /^Transaction (created|updated) for certificate (.*)!$/m.exec(text);
  if (transaction)
    return {
      outcome: `transaction-${transaction[1] as 'created' | 'updated'}`,
      text,
      certificate: transaction[2] ?? '',
    };
  const named: [RegExp, ReplyOutcome][] = [
    [/^Transaction aborted for certificate '(.*)'!$/m, 'transaction-aborted'],
    [/^New empty certificate store '(.*)'!$/m, 'certificate-created'],
    [/^Certificate '(.*)' deleted!$/m, 'certificate-deleted'],
  ];
  for (const [pattern, outcome] of named) {
    const match = pattern.exec(text);
    if (match) return { outcome, text, certificate: match[1] ?? '' };
  }
  return { outcome: /^Success!$/m.test(text) ? 'success' : 'output', text };
}
