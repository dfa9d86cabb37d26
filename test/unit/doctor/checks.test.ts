import {
  checkChallengeRoute,
  checkExpiry,
  checkHomeModes,
  checkListeners,
  checkRuntimeSocket,
  checkServedSerials,
  parseCliLevel,
  summariseChecks,
  type CertificateFacts,
  type DoctorCheck,
  type HomeEntry,
  type RuntimeSocketFacts,
  type TcpListener,
} from '../../../src/doctor';
import { tallyHomeEntries } from '../../../src/doctor/checkHomeModes';

const PORTS = [3001, 5432, 34000];
const listener = (address: string, port: number, family: 'ipv4' | 'ipv6' = 'ipv4'): TcpListener => ({
  family,
  address,
  port,
  uid: 0,
});

describe('checkListeners()', () => {
  test.each<[string, TcpListener[], Partial<DoctorCheck>]>([
    ['nothing listening', [], { status: 'ok', detail: 'nothing listens beyond loopback on 3001, 5432, 34000' }],
    [
      'loopback only, both families',
      [listener('127.0.0.1', 5432), listener('::1', 5432, 'ipv6'), listener('::ffff:7f00:1', 3001, 'ipv6')],
      { status: 'ok' },
    ],
    ['another port on 0.0.0.0', [listener('0.0.0.0', 80), listener('::', 443, 'ipv6')], { status: 'ok' }],
    [
      'PostgreSQL on every IPv4 address',
      [listener('0.0.0.0', 5432)],
      {
        status: 'fail',
        detail: 'listening beyond loopback: 0.0.0.0:5432',
        fix: 'Bind the service on port 5432 to 127.0.0.1 (or ::1), or firewall it from other hosts',
      },
    ],
    [
      'two ports, both families, sorted and once each',
      [
        listener('::', 3001, 'ipv6'),
        listener('192.0.2.7', 34000),
        listener('0.0.0.0', 3001),
        listener('0.0.0.0', 3001),
      ],
      {
        status: 'fail',
        detail: 'listening beyond loopback: 0.0.0.0:3001, 192.0.2.7:34000, [::]:3001',
        fix: 'Bind the service on ports 3001, 34000 to 127.0.0.1 (or ::1), or firewall them from other hosts',
      },
    ],
  ])('checkListeners() with %s', (_what, listeners, expected) => {
    expect(checkListeners(listeners, { localPorts: PORTS, read: ['/proc/net/tcp'] })).toMatchObject({
      id: 'local-ports',
      ...expected,
    });
  });

  test.each<[string, TcpListener[], string]>([
    [
      'nothing on 8108',
      [listener('127.0.0.1', 5432)],
      'nothing listens beyond loopback on 3001, 3002, 3003, 5432, 6379',
    ],
    [
      'Typesense still on loopback',
      [listener('127.0.0.1', 8108)],
      'nothing listens beyond loopback on 3001, 3002, 3003, 5432, 6379, 8108',
    ],
  ])(
    'checkListeners() with the default ports names the retired Typesense port 8108 only when present: %s',
    (_what, listeners, detail) => {
      const check = checkListeners(listeners, {
        localPorts: [3001, 3002, 3003, 5432, 6379, 8108],
        read: ['/proc/net/tcp'],
      });
      expect([check.status, check.detail]).toEqual(['ok', detail]);
    },
  );

  test('checkListeners() fails a retired port that listens beyond loopback', () => {
    const check = checkListeners([listener('0.0.0.0', 8108)], { localPorts: [3001, 8108], read: ['/proc/net/tcp'] });
    expect([check.status, check.detail]).toEqual(['fail', 'listening beyond loopback: 0.0.0.0:8108']);
  });

  test('checkListeners() is skipped when no /proc file could be read', () => {
    expect(
      checkListeners([], { localPorts: PORTS, read: [], unreadable: ['/proc/net/tcp', '/proc/net/tcp6'] }),
    ).toEqual({
      id: 'local-ports',
      title: 'ports that should be local',
      status: 'skip',
      detail: 'cannot read "/proc/net/tcp" or "/proc/net/tcp6"; this check needs Linux\'s /proc',
      fix: null,
    });
  });
});

const HOME = '/var/lib/acme';
const entry = (path: string, type: HomeEntry['type'], mode: number, uid = 0): HomeEntry => ({ path, type, mode, uid });
const HEALTHY: HomeEntry[] = [
  entry('.', 'directory', 0o700),
  entry('certificates', 'directory', 0o700),
  entry('certificates/site', 'symlink', 0o777),
  entry('haproxy/site.pem', 'file', 0o600),
  entry('hooks/post-renew.d/notify', 'file', 0o755),
  entry('lock', 'file', 0o600),
];

describe('checkHomeModes()', () => {
  test('checkHomeModes() passes directories 0700, files 0600, symlinks and a 0755 hook with one owner', () => {
    expect(checkHomeModes({ home: HOME, tally: tallyHomeEntries(HEALTHY), truncated: false })).toEqual({
      id: 'home-permissions',
      title: 'files under /var/lib/acme',
      status: 'ok',
      detail: '6 entries: directories 0700, files 0600, one owner (uid 0)',
      fix: null,
    });
  });

  test.each<[string, HomeEntry[], string, string]>([
    [
      'a bundle readable by the group',
      [entry('haproxy/site.pem', 'file', 0o640)],
      'open to group or others: "/var/lib/acme/haproxy/site.pem"',
      'Run: chmod 600 "/var/lib/acme/haproxy/site.pem"',
    ],
    [
      'a world-readable key and a 0755 directory',
      [entry('certificates/.versions/site/1/privkey.pem', 'file', 0o644), entry('accounts', 'directory', 0o755)],
      'open to group or others: "/var/lib/acme/certificates/.versions/site/1/privkey.pem" "/var/lib/acme/accounts"',
      'Run: chmod 700 "/var/lib/acme/accounts"; chmod 600 "/var/lib/acme/certificates/.versions/site/1/privkey.pem"',
    ],
    [
      'a group-writable hook',
      [entry('hooks/post-renew.d/notify', 'file', 0o775)],
      'open to group or others: "/var/lib/acme/hooks/post-renew.d/notify"',
      'Run: chmod go-w "/var/lib/acme/hooks/post-renew.d/notify"',
    ],
    [
      'a file owned by another user',
      [entry('lock', 'file', 0o600, 1000)],
      'not owned by uid 0 (home\'s owner): "/var/lib/acme/lock"',
      'Run: chown -R 0 "/var/lib/acme"',
    ],
    [
      'seven open files, five listed',
      [1, 2, 3, 4, 5, 6, 7].map((n) => entry(`f${n}`, 'file', 0o604)),
      'open to group or others: "/var/lib/acme/f1" "/var/lib/acme/f2" "/var/lib/acme/f3" "/var/lib/acme/f4" "/var/lib/acme/f5" and 2 more',
      'Run: chmod 600 "/var/lib/acme/f1" "/var/lib/acme/f2" "/var/lib/acme/f3" "/var/lib/acme/f4" "/var/lib/acme/f5" and 2 more',
    ],
  ])('checkHomeModes() fails %s, with the command that fixes it', (_what, extra, detail, fix) => {
    const [dot, ...rest] = HEALTHY;
    const entries = [dot!, ...extra, ...rest.filter((e) => !extra.some((x) => x.path === e.path))];
    expect(checkHomeModes({ home: HOME, tally: tallyHomeEntries(entries), truncated: false })).toMatchObject({
      status: 'fail',
      detail,
      fix,
    });
  });

  test('checkHomeModes() fails a home directory that is itself open', () => {
    expect(
      checkHomeModes({ home: HOME, tally: tallyHomeEntries([entry('.', 'directory', 0o755)]), truncated: false }),
    ).toMatchObject({
      status: 'fail',
      fix: 'Run: chmod 700 "/var/lib/acme"',
    });
  });

  test.each<[string, Parameters<typeof checkHomeModes>[0], DoctorCheck['status']]>([
    ['a scan that stopped at its limit', { home: HOME, tally: tallyHomeEntries(HEALTHY), truncated: true }, 'warn'],
    [
      'an unreadable home',
      { home: HOME, tally: tallyHomeEntries([]), truncated: false, error: 'EACCES: permission denied' },
      'skip',
    ],
  ])('checkHomeModes() reports %s', (_what, scan, status) => {
    expect(checkHomeModes(scan).status).toBe(status);
  });
});

const unixSocket = (overrides: Partial<RuntimeSocketFacts> = {}): RuntimeSocketFacts => ({
  label: 'unix@/run/haproxy/admin.sock',
  endpoint: { kind: 'unix', path: '/run/haproxy/admin.sock' },
  file: { isSocket: true, mode: 0o600, uid: 0 },
  level: 'admin',
  ...overrides,
});

describe('checkRuntimeSocket()', () => {
  test.each<[string, RuntimeSocketFacts, Pick<DoctorCheck, 'status' | 'detail' | 'fix'>]>([
    ['a healthy unix socket', unixSocket(), { status: 'ok', detail: 'reachable, level admin, mode 0600', fix: null }],
    [
      'a TCP socket on loopback',
      unixSocket({
        label: 'ipv4@127.0.0.1:9999',
        endpoint: { kind: 'tcp', host: '127.0.0.1', port: 9999 },
        file: undefined,
      }),
      { status: 'ok', detail: 'reachable, level admin, TCP on loopback', fix: null },
    ],
    [
      "Debian's mode 660",
      unixSocket({ file: { isSocket: true, mode: 0o660, uid: 0 } }),
      {
        status: 'fail',
        detail: 'mode 0660: members of its group can control HAProxy through it',
        fix: 'Set "mode 600" on the "stats socket /run/haproxy/admin.sock" line of haproxy.cfg (the user that runs acme must own it)',
      },
    ],
    [
      'mode 666',
      unixSocket({ file: { isSocket: true, mode: 0o666, uid: 0 } }),
      {
        status: 'fail',
        detail: 'mode 0666: every local user can control HAProxy through it',
        fix: 'Set "mode 600" on the "stats socket /run/haproxy/admin.sock" line of haproxy.cfg (the user that runs acme must own it)',
      },
    ],
    [
      'level operator',
      unixSocket({ level: 'operator' }),
      {
        status: 'fail',
        detail: 'level "operator": certificate updates need level admin',
        fix: 'Add "level admin" to the "stats socket" line of haproxy.cfg',
      },
    ],
    [
      'an unreachable socket',
      unixSocket({
        file: undefined,
        level: undefined,
        error: 'Cannot connect to HAProxy at "unix@/run/haproxy/admin.sock": ENOENT',
      }),
      {
        status: 'fail',
        detail: 'cannot ask it: Cannot connect to HAProxy at "unix@/run/haproxy/admin.sock": ENOENT',
        fix: 'Check that HAProxy runs and that haproxy.cfg has a "stats socket" line for this address with "level admin"',
      },
    ],
    [
      'a regular file at the socket path',
      unixSocket({ file: { isSocket: false, mode: 0o600, uid: 0 }, level: undefined, error: 'ECONNREFUSED' }),
      {
        status: 'fail',
        detail: 'cannot ask it: ECONNREFUSED; "/run/haproxy/admin.sock" is not a socket',
        fix: 'Check that HAProxy runs and that haproxy.cfg has a "stats socket" line for this address with "level admin"; Point --haproxy-socket at the path of the "stats socket" line in haproxy.cfg',
      },
    ],
    [
      'a TCP socket on every address, level operator',
      unixSocket({
        label: 'ipv4@0.0.0.0:9999',
        endpoint: { kind: 'tcp', host: '0.0.0.0', port: 9999 },
        file: undefined,
        level: 'operator',
      }),
      {
        status: 'fail',
        detail:
          'level "operator": certificate updates need level admin; TCP on "0.0.0.0", which is not loopback: the runtime API has no authentication',
        fix: 'Add "level admin" to the "stats socket" line of haproxy.cfg; Bind the "stats socket" to 127.0.0.1 or use a unix socket with "mode 600"',
      },
    ],
  ])('checkRuntimeSocket() with %s', (_what, facts, expected) => {
    expect(checkRuntimeSocket(facts)).toEqual({
      id: 'runtime-socket',
      title: `runtime socket ${facts.label}`,
      ...expected,
    });
  });
});

describe('parseCliLevel()', () => {
  test.each([
    ['\n[6]: admin\n\n', 'admin'],
    ['operator\n\n', 'operator'],
    ["\n[3]: Unknown command: 'show cli level'\n", "Unknown command: 'show cli level'"],
    ['', ''],
    [`${'x'.repeat(100)}\n`, `${'x'.repeat(59)}…`],
  ])('parseCliLevel(%j) is %j', (reply, level) => {
    expect(parseCliLevel(reply)).toBe(level);
  });
});

const NOW = new Date('2026-12-01T00:00:00Z');
function cert(overrides: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    name: 'site',
    domains: ['site.example.com'],
    serial: 'AA01',
    notBefore: '2026-11-01T00:00:00.000Z',
    notAfter: '2027-01-30T00:00:00.000Z',
    daysLeft: 60,
    bundlePath: '/var/lib/acme/haproxy/site.pem',
    nextRenewal: { at: '2026-12-31T00:00:00.000Z', due: false, reason: 'lifetime' },
    lastError: null,
    endpoints: [],
    ...overrides,
  };
}
const SOCKET = 'unix@/run/haproxy/admin.sock';
const endpoint = (
  overrides: Partial<CertificateFacts['endpoints'][number]>,
): CertificateFacts['endpoints'][number] => ({
  endpoint: SOCKET,
  servedSerial: 'AA01',
  current: true,
  pendingDeploy: false,
  error: null,
  ...overrides,
});

describe('checkServedSerials()', () => {
  test.each<[string, CertificateFacts['endpoints'][number], Pick<DoctorCheck, 'status' | 'detail' | 'fix'>]>([
    ['the stored serial', endpoint({}), { status: 'ok', detail: 'serves the stored serial AA01', fix: null }],
    [
      'another serial',
      endpoint({ servedSerial: 'BB02', current: false }),
      {
        status: 'fail',
        detail: 'serves serial BB02, the stored one is AA01',
        fix: 'Run "acme deploy --name site" with the same --haproxy-socket',
      },
    ],
    [
      'another serial while a deploy is pending',
      endpoint({ servedSerial: 'BB02', current: false, pendingDeploy: true, error: 'timeout' }),
      {
        status: 'fail',
        detail: 'serves serial BB02, the stored one is AA01 (the last deploy is pending)',
        fix: 'Run "acme deploy --name site" with the same --haproxy-socket',
      },
    ],
    [
      'an unknown bundle',
      endpoint({ servedSerial: null, current: false }),
      {
        status: 'fail',
        detail: 'HAProxy has not loaded "/var/lib/acme/haproxy/site.pem"',
        fix: 'Run "acme deploy --name site" with the same --haproxy-socket and --haproxy-crt-list, so that the bundle is added to the crt-list',
      },
    ],
    [
      'an unreachable endpoint',
      endpoint({ servedSerial: null, current: false, error: 'Cannot connect' }),
      { status: 'fail', detail: 'cannot ask HAProxy: Cannot connect', fix: 'See the runtime socket check above' },
    ],
  ])('checkServedSerials() reports %s', (_what, status, expected) => {
    expect(checkServedSerials([cert({ endpoints: [status] })])).toEqual([
      { id: 'served-serial', title: `site on ${SOCKET}`, ...expected },
    ]);
  });

  test('checkServedSerials() has one check per certificate and endpoint, none without endpoints', () => {
    const two = cert({ endpoints: [endpoint({}), endpoint({ endpoint: 'ipv4@127.0.0.1:9999' })] });
    expect(checkServedSerials([two, cert({ name: 'other' })]).map((c) => c.title)).toEqual([
      `site on ${SOCKET}`,
      'site on ipv4@127.0.0.1:9999',
    ]);
  });
});

describe('checkExpiry()', () => {
  test.each<[string, Partial<CertificateFacts>, Pick<DoctorCheck, 'status' | 'detail'>]>([
    [
      'a fresh certificate',
      {},
      { status: 'ok', detail: 'expires 2027-01-30 (60 days), next renewal 2026-12-31 (lifetime)' },
    ],
    [
      'a certificate due now',
      { nextRenewal: { at: NOW.toISOString(), due: true, reason: 'ari-window' } },
      { status: 'ok', detail: 'expires 2027-01-30 (60 days), next renewal due now (ari-window)' },
    ],
    [
      'failed renewals',
      {
        lastError: { message: 'Cannot validate\n  "site"', failures: 2 },
        nextRenewal: { at: '2026-12-01T01:00:00.000Z', due: false, reason: 'backoff' },
      },
      { status: 'warn', detail: '2 failed renewal(s), next attempt 2026-12-01T01:00:00.000Z: Cannot validate "site"' },
    ],
    [
      'an overdue renewal (under a sixth of the lifetime left)',
      { notAfter: '2026-12-05T00:00:00.000Z', daysLeft: 4 },
      { status: 'fail', detail: 'renewal overdue: 4 days left of 34' },
    ],
    [
      'an expired certificate',
      { notAfter: '2026-11-30T00:00:00.000Z', daysLeft: -1 },
      { status: 'fail', detail: 'expired on 2026-11-30T00:00:00.000Z' },
    ],
  ])('checkExpiry() reports %s', (_what, overrides, expected) => {
    expect(checkExpiry([cert(overrides)], NOW)).toEqual([
      expect.objectContaining({ id: 'expiry', title: 'site expiry', ...expected }),
    ]);
  });

  test('checkExpiry() is skipped without certificates', () => {
    expect(checkExpiry([], NOW)).toEqual([
      {
        id: 'expiry',
        title: 'certificates',
        status: 'skip',
        detail: 'no certificates stored yet; obtain one with "acme issue -d <name>"',
        fix: null,
      },
    ]);
  });

  test('checkExpiry() fixes an expired certificate with a renew command', () => {
    expect(checkExpiry([cert({ notAfter: '2026-11-30T00:00:00.000Z' })], NOW)[0]!.fix).toBe(
      'Run "acme renew --name site" and read its error; check that the renewer (acme daemon) runs',
    );
  });
});

describe('checkChallengeRoute()', () => {
  test.each<[Parameters<typeof checkChallengeRoute>[0], Pick<DoctorCheck, 'status' | 'detail' | 'fix'>]>([
    [
      { kind: 'skipped', reason: 'no --preflight URL' },
      { status: 'skip', detail: 'no --preflight URL', fix: null },
    ],
    [
      {
        kind: 'answered',
        url: 'http://127.0.0.1:80/.well-known/acme-challenge/<probe token>',
        host: 'site.example.com',
      },
      {
        status: 'ok',
        detail:
          'http://127.0.0.1:80/.well-known/acme-challenge/<probe token> with Host "site.example.com" answered the probe token',
        fix: null,
      },
    ],
    [
      { kind: 'failed', error: 'Preflight failed for "a": GET … returned HTTP 503', responder: '127.0.0.1:34000' },
      {
        status: 'fail',
        detail: 'Preflight failed for "a": GET … returned HTTP 503',
        fix: "Route /.well-known/acme-challenge/ in HAProxy's HTTP frontend to the responder on 127.0.0.1:34000, before any redirect to HTTPS (see docs/haproxy.md)",
      },
    ],
    [
      { kind: 'responder-unavailable', error: 'port in use', responder: '127.0.0.1:34000' },
      {
        status: 'fail',
        detail: 'cannot start the responder: port in use',
        fix: "Free 127.0.0.1:34000 (another acme command may be running: try again when it ends), or change --http-port and HAProxy's route together",
      },
    ],
  ])('checkChallengeRoute(%j)', (probe, expected) => {
    expect(checkChallengeRoute(probe)).toEqual({
      id: 'challenge-route',
      title: 'acme-challenge route through HAProxy',
      ...expected,
    });
  });
});

describe('summariseChecks()', () => {
  test.each<[DoctorCheck['status'][], boolean]>([
    [[], true],
    [['ok', 'skip', 'warn'], true],
    [['ok', 'fail'], false],
  ])('summariseChecks() of %j is ok: %s', (statuses, ok) => {
    const checks = statuses.map((status) => ({ id: 'x', title: 'x', status, detail: '', fix: null }));
    expect(summariseChecks(checks)).toEqual({
      ok,
      counts: {
        ok: 0,
        warn: 0,
        fail: 0,
        skip: 0,
        ...Object.fromEntries(statuses.map((s) => [s, statuses.filter((t) => t === s).length])),
      },
    });
  });
});
