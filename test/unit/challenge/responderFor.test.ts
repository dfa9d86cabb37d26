/**
 * responderFor(): the responder of each --http01-mode. `shared` and `stateless` bind nothing: the
 * port stays closed, an occupied port does not matter, and no unix socket file appears.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChallengeResponder,
  MemoryChallengeTokenRegistry,
  responderFor,
  type Http01ResponderMode,
  type ListenAddress,
} from '../../../src/challenge';
import { ChallengeError, ConfigError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { closeServer, freePort, occupyPort, requestErrorCode, TOKEN } from './_http';

const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const OTHER_THUMBPRINT = '9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI';
const PATH = `/.well-known/acme-challenge/${TOKEN}`;

async function tcpAddress(): Promise<ListenAddress> {
  return { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
}

function sharedResponder(address: ListenAddress, registry = new MemoryChallengeTokenRegistry()) {
  return { registry, responder: responderFor('shared', { address, registry, logger: new CapturingLogger() }) };
}

describe('responderFor()', () => {
  test("responderFor('local') is the ChallengeResponder, which binds while acquired", async () => {
    const address = await tcpAddress();
    const responder = responderFor('local', { address, logger: new CapturingLogger() });
    const release = await responder.acquire();
    const during = await requestErrorCode(address, PATH);
    await release();
    expect([responder instanceof ChallengeResponder, during]).toEqual([true, 'connected']);
  });

  test.each<[Exclude<Http01ResponderMode, 'local'>]>([['shared'], ['stateless']])(
    "responderFor('%s') acquire() binds nothing: the port stays closed while acquired",
    async (mode) => {
      const address = await tcpAddress();
      const responder = responderFor(mode, {
        address,
        registry: new MemoryChallengeTokenRegistry(),
        logger: new CapturingLogger(),
      });
      const release = await responder.acquire();
      await responder.present(TOKEN, `${TOKEN}.${THUMBPRINT}`);
      const during = await requestErrorCode(address, PATH);
      await responder.cleanup(TOKEN);
      await release();
      await release();
      expect(during).toBe('ECONNREFUSED');
    },
  );

  test.each<[Exclude<Http01ResponderMode, 'local'>]>([['shared'], ['stateless']])(
    "responderFor('%s') acquire() succeeds where another program holds the port, and creates no unix socket",
    async (mode) => {
      const { server, port } = await occupyPort();
      const dir = await fs.mkdtemp(join(tmpdir(), 'haproxy-acme-responder-for-'));
      try {
        const logger = new CapturingLogger();
        const registry = new MemoryChallengeTokenRegistry();
        const onPort = responderFor(mode, { address: { kind: 'tcp', host: '127.0.0.1', port }, registry, logger });
        const socketPath = join(dir, 'http.sock');
        const onSocket = responderFor(mode, { address: { kind: 'unix', path: socketPath }, registry, logger });
        await (
          await onPort.acquire()
        )();
        const release = await onSocket.acquire();
        const files = await fs.readdir(dir);
        await release();
        expect(files).toEqual([]);
      } finally {
        await closeServer(server);
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );

  test('the local responder, by contrast, cannot acquire a port another program holds (the check above can fail)', async () => {
    const { server, port } = await occupyPort();
    try {
      const local = responderFor('local', {
        address: { kind: 'tcp', host: '127.0.0.1', port },
        logger: new CapturingLogger(),
      });
      await expect(local.acquire()).rejects.toMatchObject({ code: 'CHALLENGE_BIND' });
    } finally {
      await closeServer(server);
    }
  });

  test("responderFor('shared') present() publishes to the shared registry and cleanup() removes it", async () => {
    const { registry, responder } = sharedResponder(await tcpAddress());
    await responder.present(TOKEN, `${TOKEN}.${THUMBPRINT}`);
    const published = await registry.get(TOKEN);
    await responder.cleanup(TOKEN);
    await responder.cleanup(TOKEN);
    expect([published, await registry.get(TOKEN)]).toEqual([`${TOKEN}.${THUMBPRINT}`, undefined]);
  });

  test.each([
    ['a path', '../../etc/passwd'],
    ['%2e%2e', '%2e%2e%2e%2e%2e%2e%2e%2e%2e%2e'],
    ['15 characters', 'a'.repeat(15)],
    ['129 characters', 'a'.repeat(129)],
    ['a newline', `${TOKEN}\n`],
  ])("responderFor('shared') present() refuses a token with %s, publishing nothing", async (_what, token) => {
    const { registry, responder } = sharedResponder(await tcpAddress());
    await expect(responder.present(token, `${token}.${THUMBPRINT}`)).rejects.toMatchObject({
      code: 'CHALLENGE_INVALID',
    });
    expect(await registry.get(token)).toBeUndefined();
  });

  const notHaproxyShape = (token: string): string =>
    `Cannot answer HTTP-01 token ${JSON.stringify(token)} from HAProxy (--http01-mode stateless): its key authorization is not "<token>.<43-character thumbprint>", which is all HAProxy can answer; use --http01-mode local or shared`;
  test.each<[string, string]>([
    ['another token in front', `${'B'.repeat(43)}.${THUMBPRINT}`],
    ['no thumbprint', `${TOKEN}.`],
    ['no dot', `${TOKEN}${THUMBPRINT}`],
    ['a short thumbprint', `${TOKEN}.${THUMBPRINT.slice(1)}`],
    ['a long thumbprint', `${TOKEN}.${THUMBPRINT}A`],
    ['a second dot', `${TOKEN}.${THUMBPRINT}.${THUMBPRINT}`],
    ['a trailing newline', `${TOKEN}.${THUMBPRINT}\n`],
    ['padding', `${TOKEN}.${THUMBPRINT.slice(1)}=`],
    ['an empty key authorization', ''],
  ])("responderFor('stateless') present() refuses a key authorization with %s", async (_what, keyAuthorization) => {
    const responder = responderFor('stateless', { address: await tcpAddress(), logger: new CapturingLogger() });
    await expect(responder.present(TOKEN, keyAuthorization)).rejects.toThrow(
      new ChallengeError('CHALLENGE_INVALID', notHaproxyShape(TOKEN)),
    );
  });

  test("responderFor('stateless') present() refuses a malformed token before looking at the key authorization", async () => {
    const responder = responderFor('stateless', { address: await tcpAddress(), logger: new CapturingLogger() });
    await expect(responder.present('../x', `../x.${THUMBPRINT}`)).rejects.toThrow(
      new ChallengeError(
        'CHALLENGE_INVALID',
        'Cannot present HTTP-01 token "../x": it is not base64url of 16 to 128 characters',
      ),
    );
  });

  test("responderFor('stateless') present() accepts <token>.<thumbprint> and logs no key authorization", async () => {
    const logger = new CapturingLogger();
    const responder = responderFor('stateless', { address: await tcpAddress(), logger, thumbprint: THUMBPRINT });
    await responder.present(TOKEN, `${TOKEN}.${THUMBPRINT}`);
    expect(JSON.stringify(logger.records)).not.toContain(THUMBPRINT);
  });

  test("responderFor('stateless') with the thumbprint HAProxy answers refuses another account key's", async () => {
    const responder = responderFor('stateless', {
      address: await tcpAddress(),
      logger: new CapturingLogger(),
      thumbprint: THUMBPRINT,
    });
    await expect(responder.present(TOKEN, `${TOKEN}.${OTHER_THUMBPRINT}`)).rejects.toThrow(
      new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot answer HTTP-01 token "${TOKEN}" from HAProxy (--http01-mode stateless): HAProxy answers with thumbprint ${THUMBPRINT}, but the account key's is ${OTHER_THUMBPRINT}; install the lines "acme haproxy-config --http01-mode stateless" prints and reload HAProxy`,
      ),
    );
  });

  test.each<[string, () => unknown, Error]>([
    [
      'shared without a registry',
      () =>
        responderFor('shared', { address: { kind: 'tcp', host: '127.0.0.1', port: 1 }, logger: new CapturingLogger() }),
      new ConfigError(
        'Cannot use --http01-mode shared without a shared token registry: it needs a store every node reads; set --storage postgres://… or use --http01-mode stateless',
      ),
    ],
    [
      'shared for TLS-ALPN-01',
      () =>
        responderFor('shared', {
          address: { kind: 'tcp', host: '127.0.0.1', port: 1 },
          challengeType: 'tls-alpn-01',
          registry: new MemoryChallengeTokenRegistry(),
          logger: new CapturingLogger(),
        }),
      new ConfigError(
        'Cannot answer TLS-ALPN-01 with --http01-mode shared: that mode answers HTTP-01 only; use --challenge-type http-01 or --http01-mode local',
      ),
    ],
    [
      'stateless for TLS-ALPN-01',
      () =>
        responderFor('stateless', {
          address: { kind: 'tcp', host: '127.0.0.1', port: 1 },
          challengeType: 'tls-alpn-01',
          logger: new CapturingLogger(),
        }),
      new ConfigError(
        'Cannot answer TLS-ALPN-01 with --http01-mode stateless: that mode answers HTTP-01 only; use --challenge-type http-01 or --http01-mode local',
      ),
    ],
    [
      'stateless with a malformed thumbprint',
      () =>
        responderFor('stateless', {
          address: { kind: 'tcp', host: '127.0.0.1', port: 1 },
          logger: new CapturingLogger(),
          thumbprint: `${THUMBPRINT.slice(1)}"`,
        }),
      new ChallengeError(
        'CHALLENGE_INVALID',
        'Cannot answer HTTP-01 from HAProxy (--http01-mode stateless): the thumbprint given is not 43 base64url characters',
      ),
    ],
  ])('responderFor() refuses %s', (_what, build, expected) => {
    expect(build).toThrow(expected);
  });
});
