/** probeChallengeRoute() and checkChallengeRoute() for both challenge types the responder answers. */
import { createServer, type Server } from 'node:net';
import {
  ChallengeResponder,
  preflightChallenge,
  preflightTlsAlpn,
  type ChallengeIdentifier,
  type ListenAddress,
  type ResponderChallengeType,
} from '../../../src/challenge';
import {
  checkChallengeRoute,
  probeChallengeRoute,
  type ChallengeProbe,
  type DoctorCheck,
  type ProbeResponder,
} from '../../../src/doctor';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';

const RESPONDER = '127.0.0.1:34000';

/** A responder that records what it was asked. */
function recordingResponder(): ProbeResponder & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    acquire: async () => {
      log.push('acquire');
      return async () => void log.push('release');
    },
    present: async (token: string, keyAuthorization: string, identifier?: ChallengeIdentifier) =>
      void log.push(
        `present ${token} ${keyAuthorization} ${identifier === undefined ? '-' : `${identifier.type}:${identifier.value}`}`,
      ),
    cleanup: async (token) => void log.push(`cleanup ${token}`),
  };
}

function tokens(): () => string {
  let counter = 0;
  return () => `probe-token-${String(++counter).padStart(8, '0')}`;
}

const refused = (): ChallengeError => {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:80'), { code: 'ECONNREFUSED' });
  return new ChallengeError(
    'CHALLENGE_PREFLIGHT',
    'Preflight failed for "site.example.com": GET http://127.0.0.1:80/… could not connect to 127.0.0.1:80 (ECONNREFUSED)',
    { cause },
  );
};
const notFound = (): ChallengeError =>
  new ChallengeError('CHALLENGE_PREFLIGHT', 'Preflight failed for "site.example.com": GET … returned HTTP 404');

describe('probeChallengeRoute() by challenge type', () => {
  test.each<
    [
      string,
      { challengeType?: ResponderChallengeType; preflightUrl?: string; host?: string; preflightError?: Error },
      ChallengeProbe,
      string[],
    ]
  >([
    [
      'http-01 (the default): GET through the HTTP frontend, the identifier given too',
      { preflightUrl: 'http://127.0.0.1:80/' },
      {
        kind: 'answered',
        challengeType: 'http-01',
        url: 'http://127.0.0.1:80/.well-known/acme-challenge/<probe token>',
        host: 'site.example.com',
      },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 dns:site.example.com',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
    [
      'tls-alpn-01: presented with the identifier it is for, handshake through the HTTPS frontend',
      { challengeType: 'tls-alpn-01', preflightUrl: 'https://127.0.0.1:443' },
      { kind: 'answered', challengeType: 'tls-alpn-01', url: 'https://127.0.0.1:443', host: 'site.example.com' },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 dns:site.example.com',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
    [
      'tls-alpn-01 for an IP address: an ip identifier (RFC 8738)',
      { challengeType: 'tls-alpn-01', preflightUrl: 'https://127.0.0.1:443', host: '192.0.2.7' },
      { kind: 'answered', challengeType: 'tls-alpn-01', url: 'https://127.0.0.1:443', host: '192.0.2.7' },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 ip:192.0.2.7',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
    [
      'http-01 without a preflight URL: skipped, responder never started',
      {},
      {
        kind: 'skipped',
        challengeType: 'http-01',
        reason:
          "no --preflight URL (HAProxy's HTTP frontend) is configured; pass e.g. --preflight http://127.0.0.1:80 to check the route",
      },
      [],
    ],
    [
      'tls-alpn-01 without a preflight URL: skipped, naming the HTTPS frontend',
      { challengeType: 'tls-alpn-01' },
      {
        kind: 'skipped',
        challengeType: 'tls-alpn-01',
        reason:
          "no --preflight URL (HAProxy's HTTPS frontend) is configured; pass e.g. --preflight https://127.0.0.1:443 to check the route",
      },
      [],
    ],
    [
      'tls-alpn-01 with an http preflight URL: failed before the responder starts',
      { challengeType: 'tls-alpn-01', preflightUrl: 'http://127.0.0.1:80' },
      {
        kind: 'failed',
        challengeType: 'tls-alpn-01',
        cause: 'preflight-url',
        responder: RESPONDER,
        error: `the --preflight URL "http://127.0.0.1:80" is not an https URL, and TLS-ALPN-01 is checked with a TLS handshake on HAProxy's HTTPS frontend`,
      },
      [],
    ],
    [
      'http-01 where nothing listens: failed, unreachable',
      { preflightUrl: 'http://127.0.0.1:80', preflightError: refused() },
      {
        kind: 'failed',
        challengeType: 'http-01',
        cause: 'unreachable',
        responder: RESPONDER,
        error: refused().message,
      },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 dns:site.example.com',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
    [
      'http-01 where HAProxy answers 404: failed, the route',
      { preflightUrl: 'http://127.0.0.1:80', preflightError: notFound() },
      { kind: 'failed', challengeType: 'http-01', cause: 'route', responder: RESPONDER, error: notFound().message },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 dns:site.example.com',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
    [
      'a preflight that throws something else: failed, the route, with its message',
      { preflightUrl: 'http://127.0.0.1:80', preflightError: new Error('socket hang up') },
      {
        kind: 'failed',
        challengeType: 'http-01',
        cause: 'route',
        responder: RESPONDER,
        error: 'Preflight failed: socket hang up',
      },
      [
        'acquire',
        'present probe-token-00000001 probe-token-00000001.probe-token-00000002 dns:site.example.com',
        'cleanup probe-token-00000001',
        'release',
      ],
    ],
  ])('probeChallengeRoute() with %s', async (_what, given, expected, log) => {
    const responder = recordingResponder();
    const targets: unknown[] = [];
    const preflight = async (target: unknown): Promise<void> => {
      targets.push(target);
      if (given.preflightError !== undefined) throw given.preflightError;
    };
    const probe = await probeChallengeRoute({
      responder,
      ...(given.challengeType === undefined ? {} : { challengeType: given.challengeType }),
      preflight: given.preflightUrl === undefined ? undefined : preflight,
      preflightUrl: given.preflightUrl,
      host: given.host ?? 'site.example.com',
      responderLabel: RESPONDER,
      randomToken: tokens(),
    });
    expect(probe).toEqual(expected);
    expect(responder.log).toEqual(log);
    expect(targets).toEqual(
      log.length === 0
        ? []
        : [
            {
              domain: given.host ?? 'site.example.com',
              token: 'probe-token-00000001',
              keyAuthorization: 'probe-token-00000001.probe-token-00000002',
            },
          ],
    );
  });
});

describe('probeChallengeRoute() with a real responder and preflight on loopback', () => {
  test.each<[ResponderChallengeType, 'https' | 'http']>([
    ['tls-alpn-01', 'https'],
    ['http-01', 'http'],
  ])('probeChallengeRoute() answers through a real %s responder and preflight', async (challengeType, scheme) => {
    const logger = new CapturingLogger();
    const responder = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      challengeType,
      logger,
    });
    // Held for the test, so that the port stays the same when the probe acquires it too.
    const release = await responder.acquire();
    try {
      const base = `${scheme}://127.0.0.1:${(responder.address() as Extract<ListenAddress, { kind: 'tcp' }>).port}`;
      const check = challengeType === 'tls-alpn-01' ? preflightTlsAlpn : preflightChallenge;
      const probe = await probeChallengeRoute({
        responder,
        challengeType,
        preflight: (target) => check(target, { baseUrl: base, logger }),
        preflightUrl: base,
        host: 'site.example.test',
        responderLabel: base,
      });
      expect(probe).toMatchObject({ kind: 'answered', challengeType, host: 'site.example.test' });
    } finally {
      await release();
    }
  });

  test('probeChallengeRoute() reports unreachable when nothing listens at the preflight URL', async () => {
    // A port that was just free, closed again: connections to it are refused.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const logger = new CapturingLogger();
    const probe = await probeChallengeRoute({
      responder: recordingResponder(),
      preflight: (target) => preflightChallenge(target, { baseUrl: `http://127.0.0.1:${port}`, logger }),
      preflightUrl: `http://127.0.0.1:${port}`,
      host: 'site.example.test',
      responderLabel: RESPONDER,
    });
    expect(probe).toMatchObject({ kind: 'failed', cause: 'unreachable' });
  });
});

const ROUTE_FIX = `Route /.well-known/acme-challenge/ in HAProxy's HTTP frontend to the responder on ${RESPONDER}, before any redirect to HTTPS (see docs/haproxy.md)`;
const ALPN_FIX = `Send ALPN acme-tls/1 on HAProxy's port 443 to the responder on ${RESPONDER} in a TCP frontend, ahead of the HTTPS one (see docs/haproxy.md, or "acme haproxy-config --challenge-type tls-alpn-01")`;
const HTTP_TITLE = 'acme-challenge route through HAProxy';
const ALPN_TITLE = 'acme-tls/1 route through HAProxy';

describe('checkChallengeRoute() by challenge type', () => {
  test.each<[string, ChallengeProbe, Pick<DoctorCheck, 'title' | 'status' | 'detail' | 'fix'>]>([
    [
      'a tls-alpn-01 handshake that got the certificate',
      { kind: 'answered', challengeType: 'tls-alpn-01', url: 'https://127.0.0.1:443', host: 'site.example.com' },
      {
        title: ALPN_TITLE,
        status: 'ok',
        detail: `a TLS-ALPN-01 handshake with https://127.0.0.1:443 for "site.example.com" got the probe's certificate`,
        fix: null,
      },
    ],
    [
      'a tls-alpn-01 probe skipped',
      { kind: 'skipped', challengeType: 'tls-alpn-01', reason: 'no --preflight URL' },
      { title: ALPN_TITLE, status: 'skip', detail: 'no --preflight URL', fix: null },
    ],
    [
      'a tls-alpn-01 route that fails',
      {
        kind: 'failed',
        challengeType: 'tls-alpn-01',
        cause: 'route',
        error: 'Preflight failed for "a": …',
        responder: RESPONDER,
      },
      { title: ALPN_TITLE, status: 'fail', detail: 'Preflight failed for "a": …', fix: ALPN_FIX },
    ],
    [
      'a tls-alpn-01 frontend that cannot be reached',
      {
        kind: 'failed',
        challengeType: 'tls-alpn-01',
        cause: 'unreachable',
        error: 'Preflight failed for "a": … (ECONNREFUSED)',
        responder: RESPONDER,
      },
      { title: ALPN_TITLE, status: 'fail', detail: 'Preflight failed for "a": … (ECONNREFUSED)', fix: ALPN_FIX },
    ],
    [
      'a tls-alpn-01 probe with an http preflight URL',
      {
        kind: 'failed',
        challengeType: 'tls-alpn-01',
        cause: 'preflight-url',
        error: 'the --preflight URL "http://x" is not an https URL',
        responder: RESPONDER,
      },
      {
        title: ALPN_TITLE,
        status: 'fail',
        detail: 'the --preflight URL "http://x" is not an https URL',
        fix: "Pass HAProxy's HTTPS frontend as --preflight, e.g. --preflight https://127.0.0.1:443",
      },
    ],
    [
      'an http-01 route that HAProxy answers wrongly: the route fix only',
      {
        kind: 'failed',
        challengeType: 'http-01',
        cause: 'route',
        error: 'GET … returned HTTP 503',
        responder: RESPONDER,
      },
      { title: HTTP_TITLE, status: 'fail', detail: 'GET … returned HTTP 503', fix: ROUTE_FIX },
    ],
    [
      'an http-01 frontend that nothing answers: the fix names TLS-ALPN-01 too',
      {
        kind: 'failed',
        challengeType: 'http-01',
        cause: 'unreachable',
        error: 'GET … (ECONNREFUSED)',
        responder: RESPONDER,
      },
      {
        title: HTTP_TITLE,
        status: 'fail',
        detail: 'GET … (ECONNREFUSED)',
        fix: `Make HAProxy's HTTP frontend listen at the --preflight URL and route /.well-known/acme-challenge/ to the responder on ${RESPONDER}; if port 80 cannot be opened, validate on port 443 instead: --challenge-type tls-alpn-01 (snap: acme-challenge-type=tls)`,
      },
    ],
    [
      'a probe without a challenge type: http-01',
      { kind: 'failed', error: 'GET … returned HTTP 404', responder: RESPONDER },
      { title: HTTP_TITLE, status: 'fail', detail: 'GET … returned HTTP 404', fix: ROUTE_FIX },
    ],
  ])('checkChallengeRoute() for %s', (_what, probe, expected) => {
    expect(checkChallengeRoute(probe)).toEqual({ id: 'challenge-route', ...expected });
  });
});
