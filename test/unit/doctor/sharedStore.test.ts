/** inspectSharedStore() with a fake store, and checkSharedStore() on what it found. */
import { fixedClock } from '../../../src/clock';
import {
  checkSharedStore,
  inspectSharedStore,
  runDoctor,
  type DoctorCheck,
  type DoctorDeps,
  type LeaseTableFacts,
  type SharedStoreProbe,
} from '../../../src/doctor';
import { HomeModeTally } from '../../../src/doctor/checkHomeModes';
import { StorageError } from '../../../src/errors';

const NOW = new Date('2026-11-27T12:00:00Z');
const LABEL = 'postgres://db.internal:5432/acme';
const KNOWN = 1;
const TIMEOUT_MS = 50;

const LEASES: LeaseTableFacts = {
  live: [
    {
      name: 'certificate/site',
      node: 'edge-1',
      hostname: 'web1',
      pid: 4242,
      command: 'acme renew',
      remainingMs: 21_500,
    },
    { name: 'certificate/shop', node: 'edge-2', remainingMs: 900 },
  ],
  liveCount: 2,
  expiredCount: 1,
};

const never = (signal: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

/** A store that answers everything at once, healthy; `changes` replace single answers. */
function fakeStore(changes: Partial<SharedStoreProbe> = {}): SharedStoreProbe & { closed: () => boolean } {
  let closed = false;
  return {
    label: LABEL,
    connect: async () => ({ serverVersion: '16.4', schemaVersion: KNOWN }),
    notificationRoundTrip: async () => undefined,
    readLeases: async () => LEASES,
    databaseNow: async () => new Date(NOW.getTime() + 1200),
    close: async () => void (closed = true),
    closed: () => closed,
    ...changes,
  };
}

const unreachable = async (): Promise<never> => {
  throw new StorageError(
    'STORAGE_IO',
    `Cannot connect in the PostgreSQL store ${LABEL}: connect ECONNREFUSED 10.0.0.5:5432; check that the server runs`,
    { path: LABEL },
  );
};

/** A text as is, or any text a pattern matches. */
const matching = (text: string | RegExp | null): unknown =>
  text === null || typeof text === 'string' ? text : expect.stringMatching(text);

type Row = [string, DoctorCheck['status'], string | RegExp, string | RegExp | null];

const CONNECTED = `connected (PostgreSQL 16.4); schema version 1 (this release's)`;
const LEASES_OK = `2 live: certificate/site held by edge-1 (host web1, pid 4242, acme renew), 21.5 s left; certificate/shop held by edge-2, 900 ms left; 1 expired (the next taker replaces them)`;
const CLOCK_OK = `this node's clock is 1.2 s behind the database's (± 0 ms); leases use the database's clock only`;
const NOTIFIED = /^a notification on a private channel came back on a dedicated LISTEN connection in \d+ ms$/;
const UNREACHABLE = 'not checked: the store cannot be reached';

describe('inspectSharedStore() + checkSharedStore() by what the store answers', () => {
  test.each<[string, Partial<SharedStoreProbe>, Row[]]>([
    [
      'a healthy store',
      {},
      [
        ['shared-store', 'ok', CONNECTED, null],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        ['shared-store-leases', 'ok', LEASES_OK, null],
        ['shared-store-clock', 'ok', CLOCK_OK, null],
      ],
    ],
    [
      'an unreachable server: one failure naming the label, the rest not tried',
      { connect: unreachable },
      [
        [
          'shared-store',
          'fail',
          `cannot connect: Cannot connect in the PostgreSQL store ${LABEL}: connect ECONNREFUSED 10.0.0.5:5432; check that the server runs`,
          `Check that PostgreSQL runs at ${LABEL} and accepts this node: pg_hba.conf, the password in PGPASSWORD or a password file (~/.pgpass, PGPASSFILE), and sslmode (see docs/cluster.md)`,
        ],
        ['shared-store-notifications', 'skip', UNREACHABLE, null],
        ['shared-store-leases', 'skip', UNREACHABLE, null],
        ['shared-store-clock', 'skip', UNREACHABLE, null],
      ],
    ],
    [
      'a connection that hangs: bounded, failed',
      { connect: (signal) => never(signal) },
      [
        ['shared-store', 'fail', `cannot connect: connecting did not finish within ${TIMEOUT_MS} ms`, /^Check that/],
        ['shared-store-notifications', 'skip', UNREACHABLE, null],
        ['shared-store-leases', 'skip', UNREACHABLE, null],
        ['shared-store-clock', 'skip', UNREACHABLE, null],
      ],
    ],
    [
      'a schema newer than this release: fail, upgrade this node',
      { connect: async () => ({ serverVersion: '17.0', schemaVersion: 2 }) },
      [
        [
          'shared-store',
          'fail',
          'connected (PostgreSQL 17.0); its schema is version 2, written by a newer release than this one (version 1), so every command here refuses the store',
          'Upgrade haproxy-acme on this node to the release the other nodes run',
        ],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        ['shared-store-leases', 'ok', LEASES_OK, null],
        ['shared-store-clock', 'ok', CLOCK_OK, null],
      ],
    ],
    [
      'an empty database: ok, tables come with the first command; leases not read',
      { connect: async () => ({ serverVersion: '16.4', schemaVersion: 0 }), readLeases: unreachable },
      [
        [
          'shared-store',
          'ok',
          'connected (PostgreSQL 16.4); no tables yet: the first command that uses the store creates them',
          null,
        ],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        ['shared-store-leases', 'skip', 'no lease table yet (created with the other tables)', null],
        ['shared-store-clock', 'ok', CLOCK_OK, null],
      ],
    ],
    [
      'a notification that never comes back: fail after the bound',
      { notificationRoundTrip: (signal) => never(signal) },
      [
        ['shared-store', 'ok', CONNECTED, null],
        [
          'shared-store-notifications',
          'fail',
          `a notification on a private channel did not come back on a LISTEN connection: the notification did not finish within ${TIMEOUT_MS} ms`,
          'Connect the nodes to PostgreSQL directly or through a pooler in session mode (a transaction-mode pooler drops LISTEN); until then other nodes serve a new certificate only at their next --sync-interval',
        ],
        ['shared-store-leases', 'ok', LEASES_OK, null],
        ['shared-store-clock', 'ok', CLOCK_OK, null],
      ],
    ],
    [
      'a node clock 7 minutes ahead: a warning, never a failure',
      { databaseNow: async () => new Date(NOW.getTime() - 7 * 60_000) },
      [
        ['shared-store', 'ok', CONNECTED, null],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        ['shared-store-leases', 'ok', LEASES_OK, null],
        [
          'shared-store-clock',
          'warn',
          "this node's clock is 7 min ahead of the database's (± 0 ms); leases use the database's clock only",
          "Synchronise this node's clock (chrony, systemd-timesyncd): leases do not depend on it, but certificate validity and renewal times do",
        ],
      ],
    ],
    [
      'a node clock two days behind: still only a warning',
      { databaseNow: async () => new Date(NOW.getTime() + 48 * 3_600_000) },
      [
        ['shared-store', 'ok', CONNECTED, null],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        ['shared-store-leases', 'ok', LEASES_OK, null],
        [
          'shared-store-clock',
          'warn',
          "this node's clock is 48.0 h behind the database's (± 0 ms); leases use the database's clock only",
          /^Synchronise/,
        ],
      ],
    ],
    [
      'a lease table that cannot be read, and a clock that cannot: fail and skip',
      {
        readLeases: async () => {
          throw new Error('permission denied for table acme_leases');
        },
        databaseNow: async () => {
          throw new Error('the server returned no time');
        },
      },
      [
        ['shared-store', 'ok', CONNECTED, null],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        [
          'shared-store-leases',
          'fail',
          'cannot read acme_leases: permission denied for table acme_leases',
          /^Give this node's role the database/,
        ],
        ['shared-store-clock', 'skip', 'cannot read the database clock: the server returned no time', null],
      ],
    ],
    [
      'many live leases: five named, the rest counted',
      {
        readLeases: async () => ({
          live: Array.from({ length: 20 }, (_, i) => ({
            name: `certificate/n${i}`,
            node: 'edge-1',
            remainingMs: 5000,
          })),
          liveCount: 31,
          expiredCount: 0,
        }),
      },
      [
        ['shared-store', 'ok', CONNECTED, null],
        ['shared-store-notifications', 'ok', NOTIFIED, null],
        [
          'shared-store-leases',
          'ok',
          /^31 live: certificate\/n0 held by edge-1, 5\.0 s left; (certificate\/n\d held by edge-1, 5\.0 s left; ){4}26 more$/,
          null,
        ],
        ['shared-store-clock', 'ok', CLOCK_OK, null],
      ],
    ],
  ])('%s', async (_what, changes, rows) => {
    const store = fakeStore(changes);
    const facts = await inspectSharedStore(store, {
      clock: fixedClock(NOW),
      knownSchemaVersion: KNOWN,
      timeoutMs: TIMEOUT_MS,
    });
    const checks = checkSharedStore(facts);
    expect(checks.map((c) => [c.id, c.status])).toEqual(rows.map(([id, status]) => [id, status]));
    rows.forEach(([, , detail, fix], i) => {
      expect(checks[i]!.detail).toEqual(matching(detail));
      expect(checks[i]!.fix).toEqual(matching(fix));
      expect(checks[i]!.title).toBe(
        ['shared-store', 'shared store notifications', 'shared store leases', "this node's clock and the database's"][
          i
        ]!.replace(/^shared-store$/, `shared store ${LABEL}`),
      );
    });
    expect(store.closed()).toBe(true);
  });

  test('inspectSharedStore() resolves even when closing hangs and when a step throws a non-Error', async () => {
    const store = fakeStore({
      notificationRoundTrip: async () => {
        throw 'socket gone';
      },
      close: () => new Promise<void>(() => undefined),
    });
    const facts = await inspectSharedStore(store, { clock: fixedClock(NOW), knownSchemaVersion: KNOWN, timeoutMs: 50 });
    expect(facts.notification).toEqual({ ok: false, error: 'socket gone' });
  }, 5000);

  test('runDoctor() puts the shared store rows first, and none without a shared store', async () => {
    const facts = await inspectSharedStore(fakeStore({ connect: unreachable }), {
      clock: fixedClock(NOW),
      knownSchemaVersion: KNOWN,
      timeoutMs: TIMEOUT_MS,
    });
    const deps: DoctorDeps = {
      clock: fixedClock(NOW),
      localPorts: [],
      probeChallengeRoute: async () => ({ kind: 'skipped' as const, reason: 'no --preflight' }),
      inspectRuntimeSockets: async () => [],
      scanHome: async () => ({ home: '/srv/acme', tally: new HomeModeTally(), truncated: false }),
      readLegoHome: async () => undefined,
      listCertificates: async () => [],
      readManualCertificates: async () => ({
        directory: '/srv/acme/haproxy',
        certificates: [],
        notInspected: [],
        truncated: false,
      }),
      readListeners: async () => ({ listeners: [], read: [], unreadable: [] }),
      checkPrograms: async () => undefined,
    };
    const shared = await runDoctor({ ...deps, inspectSharedStore: async () => facts });
    expect(shared.checks.slice(0, 5).map((c) => c.id)).toEqual([
      'shared-store',
      'shared-store-notifications',
      'shared-store-leases',
      'shared-store-clock',
      'challenge-route',
    ]);
    expect(shared.summary.ok).toBe(false);
    const file = await runDoctor(deps);
    expect(file.checks.map((c) => c.id)).not.toContain('shared-store');
  });
});
