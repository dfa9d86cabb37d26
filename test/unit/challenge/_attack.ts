/**
 * Attack drivers for the responder tests: slowloris connections that drip an endless header
 * section, and a bounded flood of raw requests. Every loop is bounded in count; every socket is
 * destroyed by stop() or by the server.
 */
import { connect, type Socket } from 'node:net';
import type { ListenAddress } from '../../../src/challenge';
import { sendRaw, type RawReply } from './_rawHttp';

/** Slowloris connections in flight. */
export interface Slowloris {
  /** Connections the server closed (or reset) so far. */
  closedByServer(): number;
  /** Connections still open. */
  open(): number;
  /** What the server sent on each connection (a 408, or nothing). */
  replies(): RawReply[];
  /** Stops dripping and destroys every connection still open. */
  stop(): void;
}

/** Options of startSlowloris(). */
export interface SlowlorisOptions {
  /** Connections to open. */
  connections: number;
  /** One byte per connection this often. Default: 100 ms. */
  intervalMs?: number;
}

/** Sockets we destroyed ourselves, so their close is not counted as the server's. */
const stopped = new WeakSet<Socket>();

interface Drip {
  socket: Socket;
  chunks: Buffer[];
  closedByServer: boolean;
}

function openDrip(address: ListenAddress): Promise<Drip> {
  return new Promise((resolve) => {
    const socket =
      address.kind === 'unix' ? connect({ path: address.path }) : connect({ host: address.host, port: address.port });
    const drip: Drip = { socket, chunks: [], closedByServer: false };
    socket.on('data', (chunk: Buffer) => drip.chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      drip.closedByServer = !stopped.has(socket);
      resolve(drip);
    });
    socket.once('connect', () => resolve(drip));
  });
}

/**
 * Opens `connections` connections (one at a time, so the listen backlog never overflows) and
 * sends each one byte of `GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaa…` per interval, forever:
 * the header section never ends and never reaches the size limit within a test.
 */
export async function startSlowloris(address: ListenAddress, options: SlowlorisOptions): Promise<Slowloris> {
  const drips: Drip[] = [];
  for (let i = 0; i < options.connections; i += 1) drips.push(await openDrip(address));
  const prefix = 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ';
  let sent = 0;
  const timer = setInterval(() => {
    const byte = sent < prefix.length ? prefix[sent]! : 'a';
    sent += 1;
    for (const drip of drips) if (!drip.socket.destroyed) drip.socket.write(byte);
  }, options.intervalMs ?? 100);
  return {
    closedByServer: () => drips.filter((d) => d.closedByServer).length,
    open: () => drips.filter((d) => !d.socket.destroyed).length,
    replies: () =>
      drips.map((d) => ({ text: Buffer.concat(d.chunks).toString('latin1'), closedByServer: d.closedByServer })),
    stop: () => {
      clearInterval(timer);
      for (const drip of drips) {
        if (drip.socket.destroyed) continue;
        stopped.add(drip.socket);
        drip.socket.destroy();
      }
    },
  };
}

/** Options of flood(). */
export interface FloodOptions {
  /** Requests in all; payloads are used round-robin. */
  total: number;
  /** Connections in flight at once. */
  concurrency: number;
  /** Per-connection cap. Default: 5000 ms. */
  waitMs?: number;
}

/** Sends `total` raw requests, each on its own connection, `concurrency` at a time. */
export async function flood(
  address: ListenAddress,
  payloads: Array<string | Buffer>,
  options: FloodOptions,
): Promise<RawReply[]> {
  const replies: RawReply[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.total) {
      const payload = payloads[next % payloads.length]!;
      next += 1;
      replies.push(await sendRaw(address, payload, { waitMs: options.waitMs ?? 5000 }));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return replies;
}
