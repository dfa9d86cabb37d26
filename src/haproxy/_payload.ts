import { X509Certificate } from 'node:crypto';

import { CertificateError, ConfigError, HaproxyError } from '../errors';
import { certificateLabel, splitPemBlocks } from '../pem';

/** Sent before every runtime command so that messages carry `[N]: ` syslog severities. */
export const SEVERITY_PREFIX = 'set severity-output number; ';

/** HAProxy's default `tune.bufsize`. */
export const DEFAULT_BUFFER_SIZE = 16384;

const KEY_TYPES = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/**
 * Turns a PEM bundle into a payload HAProxy reads whole: only the PEM blocks (no "Bag
 * Attributes", comments or blank lines: an empty line ends the payload and HAProxy runs the rest
 * as commands), LF line ends, order kept, ending with one "\n". Checks that there is exactly one
 * unencrypted private key and that the first certificate did not issue a later one (HAProxy
 * takes the first certificate as the leaf). It does not check that the key matches: HAProxy's commit does.
 * @throws CertificateError for empty input, broken PEM, no certificate, no key or several keys,
 * an encrypted key, or the chain before the leaf.
 */
export function sanitiseCertificatePayload(pem: string): string {
  const blocks = splitPemBlocks(pem);
  const fail = (detail: string): CertificateError =>
    new CertificateError(`Cannot send the certificate bundle to HAProxy: ${detail}`);
  if (blocks.length === 0) throw fail('it contains no PEM block');
  const certificates = blocks.filter((block) => block.type === 'CERTIFICATE');
  const keys = blocks.filter((block) => KEY_TYPES.has(block.type));
  if (blocks.some((block) => block.type === 'ENCRYPTED PRIVATE KEY')) {
    throw fail('its private key is encrypted and HAProxy cannot load it without a passphrase');
  }
  const first = certificates[0];
  if (first === undefined) throw fail('it contains no "CERTIFICATE" block');
  if (keys.length !== 1) throw fail(`it must contain exactly one private key, found ${keys.length}`);
  let parsed: X509Certificate[];
  try {
    parsed = certificates.map((block) => new X509Certificate(block.pem));
  } catch (error) {
    throw new CertificateError('Cannot send the certificate bundle to HAProxy: a certificate cannot be parsed', {
      cause: error,
    });
  }
  // Chain first: HAProxy takes the CA as the leaf and the commit fails with "inconsistencies".
  // (A self-signed placeholder may be a CA; only "issued a certificate that follows" is wrong.)
  const [leaf, ...chain] = parsed as [X509Certificate, ...X509Certificate[]];
  const issued = chain.find((cert) => cert.checkIssued(leaf) && cert.fingerprint256 !== leaf.fingerprint256);
  if (issued !== undefined) {
    throw fail(
      `its first certificate "${certificateLabel(leaf)}" issued "${certificateLabel(issued)}" that follows it; put the leaf first, then the chain`,
    );
  }
  return blocks.map((block) => block.pem).join('');
}

/** Options of `checkPayloadSize()`. */
export interface CheckPayloadSizeOptions {
  /** HAProxy's `tune.bufsize`. Default: 16384. */
  bufferSize?: number;
  /** For the error: `formatRuntimeEndpoint()` of the socket. */
  endpoint: string;
}

/**
 * The exact bytes sent for a payload command: `set severity-output number; <command> <<\n<payload>\n`.
 * `payload` MUST end with "\n" and hold no empty line (see `sanitiseCertificatePayload()`).
 */
export function payloadRequest(commandLine: string, payload: string): string {
  return `${SEVERITY_PREFIX}${commandLine} <<\n${payload}\n`;
}

/**
 * Fails early when the whole request (severity prefix, command line, payload and the final
 * empty line) does not fit HAProxy's buffer: 2.6 then closes the connection without a reply.
 * Measured on 2.6.12 with the default 16384: 16410 bytes (prefix included) were accepted, 16412
 * were not; requiring fewer than `bufferSize` bytes keeps a small margin.
 * @throws HaproxyError when the request is `bufferSize` bytes or more.
 */
export function checkPayloadSize(commandLine: string, payload: string, options: CheckPayloadSizeOptions): void {
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  const size = Buffer.byteLength(payloadRequest(commandLine, payload));
  if (size < bufferSize) return;
  throw new HaproxyError(
    `Cannot send "${commandLine}": the payload is ${size} bytes but HAProxy's buffer (tune.bufsize) is ${bufferSize}; ` +
      'use an ECDSA key or raise tune.bufsize and --haproxy-bufsize',
    { command: commandLine, endpoint: options.endpoint },
  );
}

/**
 * Escapes one command argument for the runtime API: a backslash before `\`, `;`, space and tab
 * (HAProxy management guide, "Unix Socket commands": "arguments containing a semi-colon or a
 * backslash must escape them"; the 2.6 tokenizer also splits on unescaped spaces and tabs).
 * @throws ConfigError when the argument is empty or holds a line break or NUL (they cannot be sent).
 */
export function escapeArgument(argument: string): string {
  if (argument === '' || /[\0\r\n]/.test(argument)) {
    throw new ConfigError(
      `Cannot send ${JSON.stringify(argument)} to HAProxy as a command argument: it is empty or contains a line break or NUL`,
    );
  }
  return argument.replace(/[\\; \t]/g, (char) => `\\${char}`);
}

/** Builds a command line from words (sent as is) and arguments (escaped), e.g. `command(['commit ssl cert'], path)`. */
export function commandLine(words: string, ...args: string[]): string {
  return [words, ...args.map(escapeArgument)].join(' ');
}

/**
 * One crt-list line for `add ssl crt-list <list> <<`: `<path> [<options>] <sni>…`.
 * @throws ConfigError for an empty path or SNI filter, whitespace in them, a line break or NUL,
 * or `[`/`]` in the options.
 */
export function crtListLine(entry: { path: string; options?: string; sni?: string[] }): string {
  for (const word of [entry.path, ...(entry.sni ?? [])]) {
    if (!/^[^\s\0]+$/.test(word)) {
      throw new ConfigError(
        `Cannot add ${JSON.stringify(word)} to a HAProxy crt-list: a path or SNI filter must be non-empty without whitespace or NUL`,
      );
    }
  }
  if (entry.options !== undefined && /[[\]\0\r\n]/.test(entry.options)) {
    throw new ConfigError(
      `Cannot add the crt-list options ${JSON.stringify(entry.options)}: they must not contain "[", "]", a line break or NUL`,
    );
  }
  const parts = [entry.path, ...(entry.options ? [`[${entry.options}]`] : []), ...(entry.sni ?? [])];
  return `${parts.join(' ')}\n`;
}
