import * as net from 'node:net';

import { HaproxyError } from '../errors';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';

/** What `sendRequest()` needs. */
export interface SendRequestOptions {
  /** Whole-exchange limit, connect included. */
  timeoutMs: number;
  /** The command line without payload, for errors. */
  command: string;
  /** Stops the exchange: the socket is destroyed and the promise rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal;
}

/**
 * The largest reply read. HAProxy's biggest answers (`show ssl cert`, `show ssl crt-list -n` on
 * 100,000 certificates) are a few MiB; a peer that streams without end (not HAProxy, or a broken
 * one) would otherwise fill memory until the timeout.
 */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Error codes of a socket that cannot be reached now but may be later. */
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Non-interactive runtime API exchange (HAProxy management guide, "Unix Socket commands"):
 * connect, write `request`, half-close, read until HAProxy closes. HAProxy 2.6 answers a
 * half-closed connection normally (verified over unix and TCP).
 * @throws HaproxyError (retryable) when the socket cannot be reached or the timeout expires; (not
 * retryable) when the reply exceeds MAX_REPLY_BYTES; `signal.reason` when the signal aborts first
 * (HAProxy may have run the command or not).
 */
export async function sendRequest(
  endpoint: RuntimeEndpoint,
  request: string,
  options: SendRequestOptions,
): Promise<string> {
  const where = formatRuntimeEndpoint(endpoint);
  const { signal } = options;
  signal?.throwIfAborted();
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket =
      endpoint.kind === 'unix'
        ? net.connect({ path: endpoint.path })
        : net.connect({ host: endpoint.host, port: endpoint.port });
    const onAbort = (): void => finish(signal?.reason ?? new Error('aborted'));
    const finish = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => {
      const reply = Buffer.concat(chunks).toString('utf8');
      finish(
        new HaproxyError(
          `Cannot run "${options.command}" on HAProxy socket "${where}": no complete reply within ${options.timeoutMs} ms`,
          { command: options.command, endpoint: where, retryable: true, ...(reply === '' ? {} : { reply }) },
        ),
      );
    }, options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => socket.end(request));
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_REPLY_BYTES) return void chunks.push(chunk);
      chunks.length = 0;
      finish(
        new HaproxyError(
          `Cannot run "${options.command}" on HAProxy socket "${where}": the reply exceeded ${MAX_REPLY_BYTES} bytes; is this HAProxy's runtime socket?`,
          { command: options.command, endpoint: where, retryable: false },
        ),
      );
    });
    socket.once('close', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // HAProxy may close before reading everything (e.g. an oversized payload): EPIPE/ECONNRESET
      // after the connection was made. Report it with whatever arrived.
      const code = error.code ?? 'unknown';
      const hint =
        code === 'ENOENT' || code === 'ECONNREFUSED'
          ? '; is HAProxy running with this "stats socket"?'
          : code === 'EACCES'
            ? '; this user may not open it'
            : '';
      finish(
        new HaproxyError(`Cannot run "${options.command}" on HAProxy socket "${where}": ${error.message}${hint}`, {
          command: options.command,
          endpoint: where,
          cause: error,
          retryable: UNREACHABLE.has(code),
        }),
      );
    });
  });
}
