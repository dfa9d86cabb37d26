import { ChallengeResponder, type ListenAddress } from '../../../src/challenge';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closeServer, freePort, httpRequest, KEY_AUTHORIZATION, occupyPort, requestErrorCode, TOKEN } from './_http';

const PATH = `/.well-known/acme-challenge/${TOKEN}`;

async function responderOnFreePort(): Promise<{ responder: ChallengeResponder; address: ListenAddress }> {
  const address: ListenAddress = { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
  return { responder: new ChallengeResponder({ address, logger: new CapturingLogger() }), address };
}

describe('ChallengeResponder', () => {
  test('acquire() shares one server: it keeps serving until the last release()', async () => {
    const { responder, address } = await responderOnFreePort();
    const [releaseA, releaseB] = await Promise.all([responder.acquire(), responder.acquire()]);
    await responder.present(TOKEN, KEY_AUTHORIZATION);
    await releaseA();
    const afterOne = await httpRequest(address, PATH);
    await releaseB();
    expect([afterOne.status, afterOne.body, await requestErrorCode(address, PATH)]).toEqual([
      200,
      KEY_AUTHORIZATION,
      'ECONNREFUSED',
    ]);
  });

  test('release() twice counts once', async () => {
    const { responder, address } = await responderOnFreePort();
    const releaseA = await responder.acquire();
    const releaseB = await responder.acquire();
    await releaseA();
    await releaseA();
    const stillUp = await requestErrorCode(address, PATH);
    await releaseB();
    expect([stillUp, await requestErrorCode(address, PATH)]).toEqual(['connected', 'ECONNREFUSED']);
  });

  test('the server is not bound before the first acquire() and binds again after a full release', async () => {
    const { responder, address } = await responderOnFreePort();
    const before = await requestErrorCode(address, PATH);
    await (
      await responder.acquire()
    )();
    const release = await responder.acquire();
    await responder.present(TOKEN, KEY_AUTHORIZATION);
    const reply = await httpRequest(address, PATH);
    await release();
    expect([before, reply.body]).toEqual(['ECONNREFUSED', KEY_AUTHORIZATION]);
  });

  test('acquire() right after the last release() waits for the stop and serves', async () => {
    const { responder, address } = await responderOnFreePort();
    const release = await responder.acquire();
    await responder.present(TOKEN, KEY_AUTHORIZATION);
    const stopping = release();
    const again = await responder.acquire();
    await stopping;
    const reply = await httpRequest(address, PATH);
    await again();
    expect(reply.status).toBe(200);
  });

  test('cleanup() stops serving a token', async () => {
    const { responder, address } = await responderOnFreePort();
    const release = await responder.acquire();
    await responder.present(TOKEN, KEY_AUTHORIZATION);
    await responder.cleanup(TOKEN);
    await responder.cleanup(TOKEN);
    const reply = await httpRequest(address, PATH);
    await release();
    expect([reply.status, reply.body]).toEqual([404, 'not found\n']);
  });

  test('present() rejects a malformed token', async () => {
    const { responder } = await responderOnFreePort();
    await expect(responder.present('../../x', KEY_AUTHORIZATION)).rejects.toMatchObject({
      code: 'CHALLENGE_INVALID',
      message: 'Cannot present HTTP-01 token "../../x": it is not base64url of 16 to 128 characters',
    });
  });

  test('a failed start rejects every concurrent acquire() and leaves no user counted', async () => {
    const { server: occupier, port } = await occupyPort();
    const address: ListenAddress = { kind: 'tcp', host: '127.0.0.1', port };
    const responder = new ChallengeResponder({ address, logger: new CapturingLogger() });
    const results = await Promise.allSettled([responder.acquire(), responder.acquire()]);
    await closeServer(occupier);
    const release = await responder.acquire();
    const serving = await requestErrorCode(address, PATH);
    await release();
    const reasons = results.map((r) =>
      r.status === 'rejected' && r.reason instanceof ChallengeError ? r.reason.message : r.status,
    );
    const expected = `Cannot listen on "127.0.0.1:${port}" for HTTP-01: the address is in use by another process; stop that process or pick another port with --http-port`;
    // After the only successful acquire() is released, nothing may hold the server up.
    expect([reasons, serving, await requestErrorCode(address, PATH)]).toEqual([
      [expected, expected],
      'connected',
      'ECONNREFUSED',
    ]);
  });

  test('address() reports the configured address', async () => {
    const { responder, address } = await responderOnFreePort();
    expect(responder.address()).toEqual(address);
  });
});
