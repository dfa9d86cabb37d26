import * as net from 'node:net';

import { HaproxyError } from '../errors';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';

/** What `sendRequest()` needs. */
export interface SendRequestOptions {
  /** Whole-exchange limit, connect included. */
  timeoutMs: number;
  /** The command line without payload, for errors. */
  command: string;
}

/** Error codes of a socket that cannot be reached now but may be later. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Non-interactive runtime API exchange (HAProxy management guide, "Unix Socket commands"):
 * connect, write `request`, half-close, read until HAProxy closes. HAProxy 2.6 answers a
 * half-closed connection normally (verified over unix and TCP).
 * @throws HaproxyError (retryable) when the socket cannot be reached or the timeout expires.
 */
export async function sendRequest(endpoint: RuntimeEndpoint, request: string, options: SendRequestOptions): Promise<string> {
  const where = formatRuntimeEndpoint(endpoint);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = endpoint.kind === 'unix' ? net.connect({ path: endpoint.path }) : net.connect({ host: endpoint.host, port: endpoint.port });
    const finish = (error: HaproxyError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => {
      const reply = Buffer.concat(chunks).toString('utf8');
      finish(new HaproxyError(
        `Cannot run "${options.command}" on HAProxy socket "${where}": no complete reply within ${options.timeoutMs} ms`,
        { command: options.command, endpoint: where, retryable: true, ...(reply === '' ? {} : { reply }) },
      ));
    }, options.timeoutMs);
    socket.once('connect', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // HAProxy may close before reading everything (e.g. an oversized payload): EPIPE/ECONNRESET
      // after the connection was made. Report it with whatever arrived.
      const code = error.code ?? 'unknown';
      const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? '; is HAProxy running with this "stats socket"?' : code === 'EACCES' ? '; this user may not open it' : '';
      finish(new HaproxyError(
        `Cannot run "${options.command}" on HAProxy socket "${where}": ${error.message}${hint}`,
        { command: options.command, endpoint: where, cause: error, retryable: UNREACHABLE.has(code) },
      ));
    });
  });
}
