import { createServer, type Server } from 'node:net';
import { ConfigError } from '../../../src/errors';
import { ACME_PORT_RANGE, isTcpPortFree, pickAcmePort } from '../../../src/snap';

/** A probe that records what it was asked and answers from a set of taken ports. */
function probe(taken: ReadonlySet<number>): { asked: number[]; isPortFree: (port: number) => Promise<boolean> } {
  const asked: number[] = [];
  return { asked, isPortFree: async (port) => (asked.push(port), !taken.has(port)) };
}

describe('pickAcmePort()', () => {
  test('ACME_PORT_RANGE is the reference deployment\'s 34000-36000', () => {
    expect(ACME_PORT_RANGE).toEqual({ first: 34000, last: 36000 });
  });

  test.each<[string, number[], number[], number, number[]]>([
    ['the first port when it is free', [], [], 34000, [34000]],
    ['the next free port, in order', [34000, 34001], [], 34002, [34000, 34001, 34002]],
    ['never an excluded port, without probing it', [], [34000, 34001], 34002, [34002]],
  ])('pickAcmePort() picks %s', async (_name, taken, exclude, expected, asked) => {
    const p = probe(new Set(taken));
    expect(await pickAcmePort(p.isPortFree, { exclude })).toBe(expected);
    expect(p.asked).toEqual(asked);
  });

  test('pickAcmePort() probes each port of the range once and then fails naming the range', async () => {
    const p = probe(new Set(Array.from({ length: 2001 }, (_, i) => 34000 + i)));
    const error = await pickAcmePort(p.isPortFree).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'Cannot pick acme-port: every TCP port from 34000 to 36000 on 127.0.0.1 is in use; set one with "snap set <snap> acme-port=PORT"',
    );
    expect([p.asked.length, p.asked[0], p.asked.at(-1)]).toEqual([2001, 34000, 36000]);
  });

  test('pickAcmePort() honours first and last', async () => {
    const p = probe(new Set([40001]));
    expect(await pickAcmePort(p.isPortFree, { first: 40001, last: 40002 })).toBe(40002);
  });
});

describe('isTcpPortFree()', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('isTcpPortFree() is false for a port a listener holds on 127.0.0.1', async () => {
    expect(await isTcpPortFree(port)).toBe(false);
  });

  test('isTcpPortFree() is true for a port nobody holds, and leaves it free', async () => {
    const probeServer = createServer();
    await new Promise<void>((resolve) => probeServer.listen(0, '127.0.0.1', () => resolve()));
    const freed = (probeServer.address() as { port: number }).port;
    await new Promise<void>((resolve) => probeServer.close(() => resolve()));
    expect([await isTcpPortFree(freed), await isTcpPortFree(freed)]).toEqual([true, true]);
  });
});
