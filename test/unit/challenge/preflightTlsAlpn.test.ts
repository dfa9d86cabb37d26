import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { ChallengeResponder, preflightTlsAlpn, type ListenAddress } from '../../../src/challenge';
import { CapturingLogger } from '../../../src/log';
import { closeServer, KEY_AUTHORIZATION, TOKEN } from './_http';

const NAME = 'a.example.test';

describe('preflightTlsAlpn() against a real TLS-ALPN-01 responder', () => {
  let responder: ChallengeResponder;
  let release: () => Promise<void>;
  let base: string;
  beforeAll(async () => {
    responder = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      challengeType: 'tls-alpn-01',
      logger: new CapturingLogger(),
    });
    release = await responder.acquire();
    await responder.present(TOKEN, KEY_AUTHORIZATION, { type: 'dns', value: NAME });
    base = `https://127.0.0.1:${(responder.address() as Extract<ListenAddress, { kind: 'tcp' }>).port}`;
  });
  afterAll(async () => {
    await release();
  });

  test('passes when the handshake returns the certificate of this key authorization', async () => {
    await expect(
      preflightTlsAlpn(
        { domain: NAME, keyAuthorization: KEY_AUTHORIZATION },
        { baseUrl: base, logger: new CapturingLogger() },
      ),
    ).resolves.toBeUndefined();
  });

  test.each([
    [
      'another key authorization',
      NAME,
      `${TOKEN}.another`,
      "presented a certificate without this challenge's acmeIdentifier; another responder may be answering this route",
    ],
    ['an unknown name', 'b.example.test', KEY_AUTHORIZATION, 'failed: '],
  ])(
    'fails with CHALLENGE_PREFLIGHT for %s, never showing the key authorization',
    async (_what, domain, keyAuthorization, detail) => {
      const failure = preflightTlsAlpn({ domain, keyAuthorization }, { baseUrl: base, logger: new CapturingLogger() });
      await expect(failure).rejects.toThrow(
        expect.objectContaining({ name: 'ChallengeError', code: 'CHALLENGE_PREFLIGHT' }),
      );
      const message = await failure.then(
        () => '',
        (error: Error) => error.message,
      );
      expect(
        message.startsWith(
          `Preflight failed for "${domain}": a TLS-ALPN-01 handshake with ${new URL(base).host} and SNI "${domain}" ${detail}`,
        ),
      ).toBe(true);
      expect(message).not.toContain(keyAuthorization);
    },
  );

  test.each([
    ['http://127.0.0.1:80', '"http://127.0.0.1:80" is not an https URL'],
    ['not a url', '"not a url" is not an https URL'],
    ['ftp://127.0.0.1', '"ftp://127.0.0.1" is not an https URL'],
  ])('refuses the preflight URL %s before connecting', async (baseUrl, detail) => {
    await expect(
      preflightTlsAlpn(
        { domain: NAME, keyAuthorization: KEY_AUTHORIZATION },
        { baseUrl, logger: new CapturingLogger() },
      ),
    ).rejects.toThrow(
      `Preflight failed for "${NAME}": TLS-ALPN-01 is checked with a TLS handshake on the HTTPS frontend, and the preflight URL ${detail}; pass e.g. --preflight https://127.0.0.1:443, or --preflight off`,
    );
  });

  test('names a refused connection', async () => {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as AddressInfo).port;
    await closeServer(server);
    await expect(
      preflightTlsAlpn(
        { domain: NAME, keyAuthorization: KEY_AUTHORIZATION },
        { baseUrl: `https://127.0.0.1:${port}`, logger: new CapturingLogger() },
      ),
    ).rejects.toThrow(
      `could not connect to 127.0.0.1:${port} (ECONNREFUSED); is HAProxy's port 443 frontend listening there?`,
    );
  });
});

describe('ChallengeResponder with challengeType tls-alpn-01', () => {
  test('present() without the identifier fails with CHALLENGE_INVALID', async () => {
    const responder = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      challengeType: 'tls-alpn-01',
      logger: new CapturingLogger(),
    });
    await expect(responder.present(TOKEN, KEY_AUTHORIZATION)).rejects.toThrow(
      expect.objectContaining({
        code: 'CHALLENGE_INVALID',
        message: `Cannot present TLS-ALPN-01 for token "${TOKEN}": the identifier it is for was not given`,
      }),
    );
  });

  test('listens only between acquire() and the last release()', async () => {
    const responder = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      challengeType: 'tls-alpn-01',
      logger: new CapturingLogger(),
    });
    const release = await responder.acquire();
    const port = (responder.address() as Extract<ListenAddress, { kind: 'tcp' }>).port;
    await responder.present(TOKEN, KEY_AUTHORIZATION, { type: 'dns', value: NAME });
    await expect(
      preflightTlsAlpn(
        { domain: NAME, keyAuthorization: KEY_AUTHORIZATION },
        { baseUrl: `https://127.0.0.1:${port}`, logger: new CapturingLogger() },
      ),
    ).resolves.toBeUndefined();
    await responder.cleanup(TOKEN);
    await release();
    await expect(
      preflightTlsAlpn(
        { domain: NAME, keyAuthorization: KEY_AUTHORIZATION },
        { baseUrl: `https://127.0.0.1:${port}`, logger: new CapturingLogger() },
      ),
    ).rejects.toThrow('(ECONNREFUSED)');
  });
});
