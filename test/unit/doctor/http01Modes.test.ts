/** probeChallengeRoute() and checkChallengeRoute() in the stateless and shared HTTP-01 modes. */
import type { Http01ResponderMode } from '../../../src/challenge';
import {
  checkChallengeRoute,
  probeChallengeRoute,
  type ChallengeProbe,
  type DoctorCheck,
  type ProbeResponder,
} from '../../../src/doctor';
import { ChallengeError, StorageError } from '../../../src/errors';

const RESPONDER = '127.0.0.1:34000';
const THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
const TOKEN = 'probe-token-00000001';
const TITLE = 'acme-challenge route through HAProxy';

function recordingResponder(presentError?: Error): ProbeResponder & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    acquire: async () => {
      log.push('acquire');
      return async () => void log.push('release');
    },
    present: async (token: string, keyAuthorization: string) => {
      log.push(`present ${token} ${keyAuthorization}`);
      if (presentError !== undefined) throw presentError;
    },
    cleanup: async (token) => void log.push(`cleanup ${token}`),
  };
}

function tokens(): () => string {
  let counter = 0;
  return () => `probe-token-${String(++counter).padStart(8, '0')}`;
}

/** What HAProxy with stateless lines for `installed` answers: `<token>.<installed>`; the preflight compares. */
function statelessHaproxy(installed: string) {
  return async (target: { token: string; keyAuthorization: string }): Promise<void> => {
    if (`${target.token}.${installed}` !== target.keyAuthorization)
      throw new ChallengeError(
        'CHALLENGE_PREFLIGHT',
        'Preflight failed for "site.example.com": GET … returned a body that is not the key authorization (64 bytes)',
      );
  };
}

const OLD_THUMBPRINT = 'OLDLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('probeChallengeRoute() by --http01-mode', () => {
  test.each<
    [
      string,
      {
        mode: Http01ResponderMode;
        thumbprint?: () => Promise<string | undefined>;
        preflight?: (target: { token: string; keyAuthorization: string }) => Promise<void>;
        presentError?: Error;
      },
      ChallengeProbe,
      string[],
    ]
  >([
    [
      'stateless, HAProxy answering with the stored account: answered, expecting exactly <token>.<thumbprint>',
      { mode: 'stateless', thumbprint: async () => THUMBPRINT, preflight: statelessHaproxy(THUMBPRINT) },
      {
        kind: 'answered',
        challengeType: 'http-01',
        mode: 'stateless',
        url: 'http://127.0.0.1:80/.well-known/acme-challenge/<probe token>',
        host: 'site.example.com',
        thumbprint: THUMBPRINT,
      },
      ['acquire', `present ${TOKEN} ${TOKEN}.${THUMBPRINT}`, `cleanup ${TOKEN}`, 'release'],
    ],
    [
      'stateless, HAProxy still answering with the key before a rollover: failed, the route, with the expected thumbprint',
      { mode: 'stateless', thumbprint: async () => THUMBPRINT, preflight: statelessHaproxy(OLD_THUMBPRINT) },
      {
        kind: 'failed',
        challengeType: 'http-01',
        mode: 'stateless',
        cause: 'route',
        responder: RESPONDER,
        error:
          'Preflight failed for "site.example.com": GET … returned a body that is not the key authorization (64 bytes)',
        thumbprint: THUMBPRINT,
      },
      ['acquire', `present ${TOKEN} ${TOKEN}.${THUMBPRINT}`, `cleanup ${TOKEN}`, 'release'],
    ],
    [
      'stateless without a stored account: no-account, nothing fetched',
      { mode: 'stateless', thumbprint: async () => undefined, preflight: statelessHaproxy(THUMBPRINT) },
      { kind: 'no-account', challengeType: 'http-01', mode: 'stateless', directoryUrl: DIRECTORY },
      [],
    ],
    [
      'stateless without a stored account and without --preflight: still no-account',
      { mode: 'stateless', thumbprint: async () => undefined },
      { kind: 'no-account', challengeType: 'http-01', mode: 'stateless', directoryUrl: DIRECTORY },
      [],
    ],
    [
      'stateless where the account cannot be read: failed, the account',
      {
        mode: 'stateless',
        thumbprint: async () => {
          throw new StorageError('STORAGE_IO', 'Cannot connect in the PostgreSQL store postgres://db:5432/acme', {
            path: 'postgres://db:5432/acme',
          });
        },
        preflight: statelessHaproxy(THUMBPRINT),
      },
      {
        kind: 'failed',
        challengeType: 'http-01',
        mode: 'stateless',
        cause: 'account',
        responder: RESPONDER,
        error: `cannot read the account stored for "${DIRECTORY}", whose thumbprint HAProxy answers with: Cannot connect in the PostgreSQL store postgres://db:5432/acme`,
      },
      [],
    ],
    [
      'shared, answered by the daemon: a random key authorization through the shared responder',
      { mode: 'shared', preflight: async () => undefined },
      {
        kind: 'answered',
        challengeType: 'http-01',
        mode: 'shared',
        url: 'http://127.0.0.1:80/.well-known/acme-challenge/<probe token>',
        host: 'site.example.com',
      },
      ['acquire', `present ${TOKEN} ${TOKEN}.probe-token-00000002`, `cleanup ${TOKEN}`, 'release'],
    ],
    [
      'shared, the token table unreachable: failed, publish',
      {
        mode: 'shared',
        preflight: async () => undefined,
        presentError: new StorageError('STORAGE_IO', 'Cannot run a query in the PostgreSQL store postgres://db/acme', {
          path: 'postgres://db/acme',
        }),
      },
      {
        kind: 'failed',
        challengeType: 'http-01',
        mode: 'shared',
        cause: 'publish',
        responder: RESPONDER,
        error:
          'cannot publish the probe token to the shared token table: Cannot run a query in the PostgreSQL store postgres://db/acme',
      },
      ['acquire', `present ${TOKEN} ${TOKEN}.probe-token-00000002`, `cleanup ${TOKEN}`, 'release'],
    ],
  ])('probeChallengeRoute() %s', async (_what, given, expected, log) => {
    const responder = recordingResponder(given.presentError);
    const probe = await probeChallengeRoute({
      responder,
      mode: given.mode,
      ...(given.thumbprint === undefined ? {} : { accountThumbprint: given.thumbprint }),
      directoryUrl: DIRECTORY,
      preflight: given.preflight === undefined ? undefined : (target) => given.preflight!(target),
      preflightUrl: given.preflight === undefined ? undefined : 'http://127.0.0.1:80',
      host: 'site.example.com',
      responderLabel: RESPONDER,
      randomToken: tokens(),
    });
    expect(probe).toEqual(expected);
    expect(responder.log).toEqual(log);
  });

  test('probeChallengeRoute() ignores the mode for tls-alpn-01 and never reads the account', async () => {
    const accountThumbprint = jest.fn(async () => undefined);
    const probe = await probeChallengeRoute({
      responder: recordingResponder(),
      challengeType: 'tls-alpn-01',
      mode: 'stateless',
      accountThumbprint,
      preflight: async () => undefined,
      preflightUrl: 'https://127.0.0.1:443',
      host: 'site.example.com',
      responderLabel: RESPONDER,
    });
    expect(probe).toEqual({
      kind: 'answered',
      challengeType: 'tls-alpn-01',
      url: 'https://127.0.0.1:443',
      host: 'site.example.com',
    });
    expect(accountThumbprint).not.toHaveBeenCalled();
  });
});

const STATELESS_LINES =
  'the lines "acme haproxy-config --http01-mode stateless" prints, first in the HTTP frontend of every node, then reload HAProxy';
const DAEMON = `"acme daemon" must run on this node: its store follower ("acme sync --follow") keeps the responder on ${RESPONDER} that answers tokens from the shared table`;

describe('checkChallengeRoute() by --http01-mode', () => {
  test.each<[string, ChallengeProbe, Pick<DoctorCheck, 'status' | 'detail' | 'fix'>]>([
    [
      'stateless answered: names the thumbprint',
      { kind: 'answered', mode: 'stateless', url: 'http://x/…', host: 'a', thumbprint: THUMBPRINT },
      {
        status: 'ok',
        detail: `http://x/… with Host "a" answered <token>.<thumbprint> of the stored account (thumbprint ${THUMBPRINT}), from HAProxy itself`,
        fix: null,
      },
    ],
    [
      'stateless without an account: register, then install the lines',
      { kind: 'no-account', mode: 'stateless', directoryUrl: DIRECTORY },
      {
        status: 'fail',
        detail: `no ACME account for "${DIRECTORY}" is stored, so HAProxy (--http01-mode stateless) has no thumbprint to answer with`,
        fix: 'Run "acme account register --http01-mode stateless" (same --directory and --storage), then "acme haproxy-config --http01-mode stateless" and put its lines into haproxy.cfg, first in the HTTP frontend of every node',
      },
    ],
    [
      'stateless with a wrong answer: re-install the lines, the thumbprint named',
      {
        kind: 'failed',
        mode: 'stateless',
        cause: 'route',
        error: 'GET … not the key authorization',
        responder: RESPONDER,
        thumbprint: THUMBPRINT,
      },
      {
        status: 'fail',
        detail: 'GET … not the key authorization',
        fix: `HAProxy must answer <token>.<thumbprint> of the stored account (thumbprint ${THUMBPRINT}); an old thumbprint (after "acme account rollover") or lines of another account fail every validation: re-install ${STATELESS_LINES}`,
      },
    ],
    [
      'stateless where nothing listens: the frontend, with the lines',
      { kind: 'failed', mode: 'stateless', cause: 'unreachable', error: 'GET … (ECONNREFUSED)', responder: RESPONDER },
      {
        status: 'fail',
        detail: 'GET … (ECONNREFUSED)',
        fix: `Make HAProxy's HTTP frontend listen at the --preflight URL, with ${STATELESS_LINES}`,
      },
    ],
    [
      'stateless where the account cannot be read',
      { kind: 'failed', mode: 'stateless', cause: 'account', error: 'cannot read the account …', responder: RESPONDER },
      {
        status: 'fail',
        detail: 'cannot read the account …',
        fix: 'Make the store readable (see the other checks and the message), then run acme doctor again',
      },
    ],
    [
      'shared answered',
      { kind: 'answered', mode: 'shared', url: 'http://x/…', host: 'a' },
      {
        status: 'ok',
        detail: 'http://x/… with Host "a" answered the probe token published in the shared token table',
        fix: null,
      },
    ],
    [
      'shared with a wrong answer: acme daemon must run here',
      { kind: 'failed', mode: 'shared', cause: 'route', error: 'GET … returned HTTP 503', responder: RESPONDER },
      {
        status: 'fail',
        detail: 'GET … returned HTTP 503',
        fix: `${DAEMON}; HAProxy must route /.well-known/acme-challenge/ there, before any redirect to HTTPS ("acme haproxy-config --http01-mode shared" prints the route)`,
      },
    ],
    [
      'shared where nothing listens at the preflight URL',
      { kind: 'failed', mode: 'shared', cause: 'unreachable', error: 'GET … (ECONNREFUSED)', responder: RESPONDER },
      {
        status: 'fail',
        detail: 'GET … (ECONNREFUSED)',
        fix: `Make HAProxy's HTTP frontend listen at the --preflight URL and route /.well-known/acme-challenge/ to ${RESPONDER}; ${DAEMON}`,
      },
    ],
    [
      'shared where the token could not be published',
      { kind: 'failed', mode: 'shared', cause: 'publish', error: 'cannot publish …', responder: RESPONDER },
      {
        status: 'fail',
        detail: 'cannot publish …',
        fix: 'Make the shared store reachable (see the shared store checks), then run acme doctor again',
      },
    ],
  ])('checkChallengeRoute() %s', (_what, probe, expected) => {
    expect(checkChallengeRoute(probe)).toEqual({ id: 'challenge-route', title: TITLE, ...expected });
  });
});
