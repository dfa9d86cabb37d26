/**
 * Cancellation of HAProxy commands: a real unix socket that never answers stands in for a hung
 * HAProxy; the command's signal must cut the exchange off at once, close the connection and
 * reject with the signal's reason, and a swap cut off mid-transaction must abort the transaction.
 */
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterClient, RuntimeClient, swapCertificate } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';
import { certs } from '../../fixtures/certs';
import { FakeHaproxy, identityOf } from './_fakeHaproxy';
import { startFakeSocket, type FakeSocket } from './_fakeSocket';

/** A socket that reads requests and never replies; counts connections. */
interface HangingSocket {
  path: string;
  connections: number;
  close(): Promise<void>;
}

async function startHangingSocket(): Promise<HangingSocket> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-hang-'));
  const sockets = new Set<net.Socket>();
  const state: HangingSocket = {
    path: join(dir, 'admin.sock'),
    connections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(state.path, done));
  return state;
}

let hanging: HangingSocket | undefined;
let fake: FakeSocket | undefined;
afterEach(async () => {
  await hanging?.close();
  await fake?.close();
  hanging = undefined;
  fake = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Open unix-socket handles of this process (the server's and the client's ends). */
function pipeHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'PipeWrap').length;
}

/**
 * Runs `start` with a signal aborted 20 ms later; resolves with the rejection, how long it took
 * after the abort, and how many unix-socket handles the abort closed.
 */
async function abortAfter20ms(start: (signal: AbortSignal) => Promise<unknown>) {
  const controller = new AbortController();
  const reason = new Error('stopped by the test');
  const pending = start(controller.signal);
  await sleep(20);
  const handlesBefore = pipeHandles();
  const abortedAt = Date.now();
  controller.abort(reason);
  const error = await pending.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  const elapsedMs = Date.now() - abortedAt;
  // The handle goes on the next turns of the event loop: give a loaded machine up to a second.
  for (let waited = 0; waited < 1000 && handlesBefore - pipeHandles() < 1; waited += 10) await sleep(10);
  return { error, reason, elapsedMs, closedHandles: handlesBefore - pipeHandles() };
}

describe('RuntimeClient and MasterClient with a signal', () => {
  test('RuntimeClient.execute() on a hung HAProxy rejects with the reason within 100 ms and closes its end of the connection', async () => {
    hanging = await startHangingSocket();
    const client = new RuntimeClient({ endpoint: { kind: 'unix', path: hanging.path }, logger: new CapturingLogger() });
    const { error, reason, elapsedMs, closedHandles } = await abortAfter20ms((signal) =>
      client.execute('show ssl cert', undefined, { signal }),
    );
    expect(error).toBe(reason);
    expect(elapsedMs).toBeLessThan(100);
    expect([hanging.connections, closedHandles]).toEqual([1, 1]);
  });

  test('RuntimeClient.commitSslCert() with a signal already aborted rejects with its reason and never connects', async () => {
    hanging = await startHangingSocket();
    const client = new RuntimeClient({ endpoint: { kind: 'unix', path: hanging.path }, logger: new CapturingLogger() });
    const reason = new Error('already stopped');
    await expect(client.commitSslCert('/srv/a.pem', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await sleep(20);
    expect(hanging.connections).toBe(0);
  });

  test('RuntimeClient stops retrying a command HAProxy answers "currently locked" when the signal aborts', async () => {
    fake = await startFakeSocket(() => '\n[3]: Operations on certificates are currently locked!\n\n');
    const client = new RuntimeClient({
      endpoint: { kind: 'unix', path: fake.socketPath },
      logger: new CapturingLogger(),
    });
    const { error, reason, elapsedMs } = await abortAfter20ms((signal) =>
      client.commitSslCert('/srv/a.pem', { signal }),
    );
    expect(error).toBe(reason);
    expect(elapsedMs).toBeLessThan(100);
    expect(fake.requests.length).toBeLessThan(5);
  });

  test('MasterClient.reload() on a hung master socket rejects with the reason within 100 ms', async () => {
    hanging = await startHangingSocket();
    const master = new MasterClient({ endpoint: { kind: 'unix', path: hanging.path }, logger: new CapturingLogger() });
    const { error, reason, elapsedMs, closedHandles } = await abortAfter20ms((signal) => master.reload({ signal }));
    expect(error).toBe(reason);
    expect(elapsedMs).toBeLessThan(100);
    expect([hanging.connections, closedHandles]).toEqual([1, 1]);
  });
});

describe('swapCertificate() with a signal', () => {
  const A = '/srv/a.pem';
  const bundle1 = certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey;
  const bundle2 = certs.ecLeaf2 + certs.ecIntermediate + certs.ecLeaf2Key;
  const id2 = identityOf(bundle2);

  test('swapCertificate() cut off while HAProxy hangs on the commit rejects with the reason and aborts the open transaction', async () => {
    const haproxy = new FakeHaproxy();
    haproxy.certs.set(A, identityOf(bundle1));
    // HAProxy takes the commit but never answers it (a stuck worker).
    fake = await startFakeSocket((request) =>
      request.includes('commit ssl cert') ? undefined : haproxy.respond(request),
    );
    const logger = new CapturingLogger();
    const client = new RuntimeClient({ endpoint: { kind: 'unix', path: fake.socketPath }, logger });
    const input = { path: A, bundlePem: bundle2, expectedSha1: id2.sha1, expectedSerial: id2.serial };
    const controller = new AbortController();
    const reason = new Error('interrupted by the test');
    const pending = swapCertificate(client, input, { signal: controller.signal });
    for (let i = 0; i < 100 && !fake.commands().includes(`commit ssl cert ${A}`); i += 1) await sleep(5);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(fake.commands()).toEqual([
      'show ssl cert',
      `set ssl cert ${A}`,
      `commit ssl cert ${A}`,
      `abort ssl cert ${A}`,
    ]);
    expect([haproxy.transaction, haproxy.certs.get(A)]).toEqual([undefined, identityOf(bundle1)]);
  });
});
