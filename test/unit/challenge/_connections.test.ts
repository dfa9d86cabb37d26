import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChallengeTokenRegistry,
  HttpChallengeServer,
  MemoryChallengeTokenRegistry,
  type ListenAddress,
} from '../../../src/challenge';
import { CapturingLogger } from '../../../src/log';
import { httpRequest, KEY_AUTHORIZATION, rawExchange, TOKEN } from './_http';

const PATH = `/.well-known/acme-challenge/${TOKEN}`;
/** Each wait below polls at most this many times, 20 ms apart. */
const POLLS = 250;

interface Held {
  socket: Socket;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/** A connection that sent `payload` (half a request, or a whole one) and then holds still. */
async function hold(address: ListenAddress, payload: string): Promise<Held> {
  if (address.kind !== 'tcp') throw new Error('TCP only');
  const socket = connect({ host: address.host, port: address.port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(payload);
  return { socket, closed };
}

/** Polls until `condition()` holds (at most POLLS × 20 ms); returns whether it did. */
async function eventually(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < POLLS; i += 1) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

async function serverWith(registry: ChallengeTokenRegistry, maxConnections: number) {
  const logger = new CapturingLogger();
  const server = new HttpChallengeServer({
    address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    registry,
    logger,
    maxConnections,
  });
  await server.start();
  return { server, logger };
}

describe('HttpChallengeServer maxConnections', () => {
  test('a connection beyond the limit closes the oldest stalled one, and the valid request is served', async () => {
    const registry = new MemoryChallengeTokenRegistry();
    await registry.add(TOKEN, KEY_AUTHORIZATION);
    const { server, logger } = await serverWith(registry, 3);
    const held: Held[] = [];
    try {
      for (let i = 0; i < 3; i += 1) held.push(await hold(server.address(), 'GET / HTTP/1.1\r\nHo'));
      const full = await eventually(() => server.openConnections() === 3);
      const reply = await httpRequest(server.address(), PATH);
      const oldestClosed = await Promise.race([held[0]!.closed.then(() => true), sleep(3000, false)]);
      const others = held.slice(1).map((h) => h.socket.destroyed);
      const warnings = logger.records.filter((r) => r.level === 'warn');
      expect([full, reply.status, reply.body, oldestClosed, others, server.openConnections() <= 3, warnings]).toEqual([
        true,
        200,
        KEY_AUTHORIZATION,
        true,
        [false, false],
        true,
        [
          {
            level: 'warn',
            message: 'HTTP-01 responder reached its connection limit; closing the oldest idle connections',
            fields: { maxConnections: 3 },
          },
        ],
      ]);
    } finally {
      for (const h of held) h.socket.destroy();
      await server.stop();
    }
  });

  test('when every open connection is being answered, the newcomer is closed instead', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: ChallengeTokenRegistry = {
      add: async () => undefined,
      remove: async () => undefined,
      get: async () => {
        await gate;
        return KEY_AUTHORIZATION;
      },
    };
    const { server } = await serverWith(slow, 2);
    const request = `GET ${PATH} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;
    try {
      const busy = [rawExchange(server.address(), request, 5000), rawExchange(server.address(), request, 5000)];
      const full = await eventually(() => server.openConnections() === 2);
      const newcomer = await rawExchange(server.address(), request, 3000);
      release();
      const answered = (await Promise.all(busy)).map((e) => e.text.endsWith(`\r\n\r\n${KEY_AUTHORIZATION}`));
      expect([full, newcomer, answered]).toEqual([true, { text: '', closedByServer: true }, [true, true]]);
    } finally {
      release();
      await server.stop();
    }
  });

  test('openConnections() counts open connections, falls back to 0 when they close, and is 0 while stopped', async () => {
    const { server } = await serverWith(new MemoryChallengeTokenRegistry(), 10);
    const held = [await hold(server.address(), 'GET / HTTP/1.1\r\n'), await hold(server.address(), '')];
    const two = await eventually(() => server.openConnections() === 2);
    for (const h of held) h.socket.destroy();
    const zero = await eventually(() => server.openConnections() === 0);
    await server.stop();
    expect([two, zero, server.openConnections()]).toEqual([true, true, 0]);
  });
});
