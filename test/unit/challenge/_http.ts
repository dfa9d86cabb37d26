/** Test helpers: raw and node:http requests against a responder on 127.0.0.1 or a unix socket. */
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import type { ListenAddress } from '../../../src/challenge';

/** An RFC 8555 style token (43 base64url characters) and a key authorization for it. */
export const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
export const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** Whether the server closed the connection before `waitMs` passed. */
  closedByServer: boolean;
}

function connectTo(address: ListenAddress) {
  return address.kind === 'unix'
    ? connect({ path: address.path })
    : connect({ host: address.host, port: address.port });
}

/** Sends `payload` on a fresh connection and collects the reply until close or `waitMs`. */
export function rawExchange(address: ListenAddress, payload: string, waitMs = 1500): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connectTo(address);
    const chunks: Buffer[] = [];
    const finish = (closedByServer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered still counts as "closed by server".
      if (chunks.length > 0 || error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.write(payload);
  });
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through node:http (no keep-alive agent). */
export function httpRequest(
  address: ListenAddress,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const where = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
    const req = request(
      { ...where, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The errno code of a failed request, or 'connected' when it got an answer. */
export async function requestErrorCode(address: ListenAddress, path: string): Promise<string> {
  try {
    await httpRequest(address, path);
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

/** A plain TCP listener on 127.0.0.1 with a free port, e.g. to occupy that port. */
export async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const { server, port } = await occupyPort();
  await closeServer(server);
  return port;
}

export function closeServer(server: { close(cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
