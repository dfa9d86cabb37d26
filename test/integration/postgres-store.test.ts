/**
 * The PostgreSQL stores against a real PostgreSQL on loopback: the same contract suites the file
 * and memory backends pass (test/contract/), then what only a shared database has: the lease's
 * fencing token checked in the writing transaction, notifications delivered on commit only,
 * concurrent writers from separate connection pools, archived rows, damaged rows, and the schema
 * migrated once by several nodes starting together.
 */
import type { Client } from 'pg';
import { AppError, ConfigError } from '../../src/errors';
import { CapturingLogger, silentLogger } from '../../src/log';
import { sanitiseName, type HeldLock, type SaveCertificateInput } from '../../src/storage';
import { PostgresAccountKeyStage } from '../../src/storage/postgres/_account-key-stage';
import { openPgDatabase, type PgDatabase } from '../../src/storage/postgres/_db';
import { PostgresDeployStateStore } from '../../src/storage/postgres/_deploy-state';
import { PostgresRenewalStateStore } from '../../src/storage/postgres/_renewal-state';
import { CERTIFICATE_CHANGED_CHANNEL, migrateSchema, SCHEMA_VERSION } from '../../src/storage/postgres/_schema';
import { PostgresCertificateStore } from '../../src/storage/postgres/_store';
import { accountStoreContract } from '../contract/accountStoreContract';
import { certificateStoreContract } from '../contract/certificateStoreContract';
import { deployStateStoreContract } from '../contract/deployStateContract';
import { renewalStateStoreContract } from '../contract/renewalStateContract';
import { certs } from '../fixtures/certs';
import { startPostgres, type TestPostgres } from '../peers/_postgres';

const T0 = new Date('2026-11-27T10:00:00.000Z');
const DIRECTORY = 'https://127.0.0.1:14000/dir';
const TABLES = [
  'acme_accounts',
  'acme_certificates',
  'acme_certificate_versions',
  'acme_archive',
  'acme_renewal_state',
  'acme_deploy_state',
  'acme_leases',
  'acme_challenge_tokens',
];

let server: TestPostgres;
let db: PgDatabase;
/** Pools opened by a test (a second node), closed after it. */
const extraPools: PgDatabase[] = [];

function openPool(url: string = server.url): PgDatabase {
  const pool = openPgDatabase(url, { applicationName: 'haproxy-acme store test', logger: silentLogger });
  extraPools.push(pool);
  return pool;
}

beforeAll(async () => {
  server = await startPostgres();
  db = openPgDatabase(server.url, { applicationName: 'haproxy-acme store test', logger: silentLogger });
  await migrateSchema(db);
}, 60_000);
afterEach(async () => {
  await Promise.all(extraPools.splice(0).map((pool) => pool.close()));
});
afterAll(async () => {
  await db?.close();
  await server?.stop();
});

/** Every table empty again: each fixture starts from an empty store. */
async function emptyStore(): Promise<void> {
  await db.query(`TRUNCATE ${TABLES.join(', ')}`);
}

function steppingClock(): { clock: { now: () => Date }; advance: (ms: number) => void } {
  let at = T0.getTime();
  return { clock: { now: () => new Date(at) }, advance: (ms) => (at += ms) };
}

function input(name: string, which: 1 | 2 = 1): SaveCertificateInput {
  return {
    name,
    certPem: which === 1 ? certs.ecLeaf : certs.ecLeaf2,
    chainPem: certs.ecIntermediate,
    keyPem: which === 1 ? certs.ecLeafKey : certs.ecLeaf2Key,
    meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
}

/** The lines of a key's base64 body: what no message or log line may hold. */
function keyLines(...pems: string[]): string[] {
  return pems.flatMap((pem) => pem.split('\n')).filter((line) => line.length > 16 && !line.startsWith('-----'));
}

certificateStoreContract('PostgresCertificateStore', async () => {
  await emptyStore();
  const { clock, advance } = steppingClock();
  return {
    store: new PostgresCertificateStore({ db, clock, logger: new CapturingLogger() }),
    advance,
    // A version whose metadata is no longer an object: what a hand edit of the row leaves.
    corrupt: async (name) => {
      await db.query(`UPDATE acme_certificate_versions SET meta = '"not an object"' WHERE name = $1`, [
        sanitiseName(name),
      ]);
    },
    cleanup: async () => undefined,
  };
});

accountStoreContract(
  'PostgresCertificateStore',
  async () => {
    await emptyStore();
    const logger = new CapturingLogger();
    return {
      store: new PostgresCertificateStore({ db, clock: steppingClock().clock, logger }),
      logged: () => JSON.stringify(logger.records),
      cleanup: async () => undefined,
    };
  },
  {
    // The key cut after its third line, as a truncated copy would leave it.
    damage: async (_fixture, directoryUrl) => {
      await db.query(
        `UPDATE acme_accounts SET key_pem = array_to_string((string_to_array(key_pem, E'\\n'))[1:3], E'\\n')
         WHERE directory_url = $1`,
        [directoryUrl],
      );
    },
  },
);

renewalStateStoreContract('PostgresRenewalStateStore', async () => {
  await emptyStore();
  return { store: new PostgresRenewalStateStore({ db }), cleanup: async () => undefined };
});

deployStateStoreContract('PostgresDeployStateStore', async () => {
  await emptyStore();
  return { store: new PostgresDeployStateStore({ db }), cleanup: async () => undefined };
});

/** A fresh store over the shared test database, with its clock and log. */
async function freshStore(options: { keepVersions?: number; pool?: PgDatabase } = {}) {
  await emptyStore();
  const { clock, advance } = steppingClock();
  const logger = new CapturingLogger();
  const store = new PostgresCertificateStore({
    db: options.pool ?? db,
    clock,
    logger,
    ...(options.keepVersions === undefined ? {} : { keepVersions: options.keepVersions }),
  });
  return { store, advance, logger };
}

async function versionCount(name: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM acme_certificate_versions WHERE name = $1',
    [name],
  );
  return rows[0]!.n;
}

const LEASE = 'certificate/example.com';

/** Grants (or takes over) the lease of `name` as the lease code does; resolves with its fencing token. */
async function grantLease(name: string = LEASE): Promise<string> {
  const rows = await db.query<{ fence: string }>(
    `INSERT INTO acme_leases (name, holder, fence, expires_at, acquired_at, refreshed_at, info)
     VALUES ($1, 'node-1', nextval('acme_fence'), clock_timestamp() + interval '30 seconds',
       clock_timestamp(), clock_timestamp(), '{}')
     ON CONFLICT (name) DO UPDATE SET fence = EXCLUDED.fence, expires_at = EXCLUDED.expires_at
     RETURNING fence::text AS fence`,
    [name],
  );
  return rows[0]!.fence;
}

function heldLock(fence: string | undefined, assertHeld: () => void = () => undefined): HeldLock {
  return {
    name: LEASE,
    where: `lease ${LEASE}`,
    ...(fence === undefined ? {} : { fence }),
    signal: new AbortController().signal,
    assertHeld,
    release: async () => undefined,
  };
}

describe('PostgresCertificateStore: the lease checked in the writing transaction', () => {
  test('a save and a removal under the live fencing token succeed; the version records the token', async () => {
    const { store } = await freshStore();
    const fence = await grantLease();
    const meta = await store.saveCertificate(input('example.com'), { lock: heldLock(fence) });
    const rows = await db.query('SELECT fence::text AS fence FROM acme_certificate_versions WHERE version = $1', [
      meta.version,
    ]);
    expect(rows).toEqual([{ fence }]);
    expect(await store.removeCertificate('example.com', { lock: heldLock(fence) })).toBeDefined();
  });

  test.each<[string, (fence: string) => Promise<string>]>([
    [
      'taken over by another node',
      async (fence) => {
        await grantLease();
        return fence;
      },
    ],
    [
      'expired',
      async (fence) => {
        await db.query(`UPDATE acme_leases SET expires_at = clock_timestamp() - interval '1 second'`);
        return fence;
      },
    ],
    [
      'released',
      async (fence) => {
        await db.query('DELETE FROM acme_leases');
        return fence;
      },
    ],
    ['not a number', async () => '12; DROP TABLE acme_leases'],
    ['beyond a bigint', async () => '9223372036854775808'],
  ])('a save and a removal whose lease was %s fail with LOCK_LOST and change nothing', async (_label, spoil) => {
    const { store, advance } = await freshStore();
    const before = await store.saveCertificate(input('example.com'));
    const fence = await grantLease();
    const stale = await spoil(fence);
    advance(1000);
    const error = await store.saveCertificate(input('example.com', 2), { lock: heldLock(stale) }).catch((e) => e);
    expect([
      error?.code,
      await codeOf(store.removeCertificate('example.com', { lock: heldLock(stale) })),
      await store.loadCertificateMeta('example.com'),
      await versionCount('example.com'),
    ]).toEqual(['LOCK_LOST', 'LOCK_LOST', before, 1]);
    expect((error as Error).message).toContain(`lease ${LEASE}`);
  });

  test('a lock without a fencing token is checked with assertHeld() instead, before anything is written', async () => {
    const { store } = await freshStore();
    const lost = new AppError('LOCK_LOST', 'lost');
    const lock = heldLock(undefined, () => {
      throw lost;
    });
    await expect(store.saveCertificate(input('example.com'), { lock })).rejects.toBe(lost);
    expect(await store.listCertificateNames()).toEqual([]);
  });
});

describe('PostgresCertificateStore: change notifications', () => {
  let listener: Client;
  const received: unknown[] = [];
  beforeEach(async () => {
    received.length = 0;
    listener = db.newClient();
    await listener.connect();
    listener.on('notification', (message) => received.push(JSON.parse(message.payload ?? 'null')));
    await listener.query(`LISTEN ${CERTIFICATE_CHANGED_CHANNEL}`);
  });
  afterEach(async () => {
    await listener.end();
  });

  /** Waits (at most 5 s) until `count` notifications arrived. */
  async function arrived(count: number): Promise<unknown[]> {
    for (let waited = 0; received.length < count && waited < 5000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    return [...received];
  }

  test('a save and a removal notify on commit; a refused save notifies nothing', async () => {
    const { store, advance } = await freshStore();
    const first = await store.saveCertificate(input('example.com'));
    advance(1000);
    expect(await codeOf(store.saveCertificate(input('example.com', 2), { expectedVersion: null }))).toBe(
      'STORAGE_CONFLICT',
    );
    expect(await codeOf(store.saveCertificate(input('example.com', 2), { lock: heldLock('1') }))).toBe('LOCK_LOST');
    await store.removeCertificate('example.com');
    // Notifications arrive in commit order: had a refused save notified, it would sit in between.
    expect(await arrived(2)).toEqual([
      { name: 'example.com', version: first.version },
      { name: 'example.com', version: null },
    ]);
    expect(await store.removeCertificate('example.com')).toBeUndefined();
    const marker = await store.saveCertificate(input('marker.example.com'));
    expect((await arrived(3)).slice(2)).toEqual([{ name: 'marker.example.com', version: marker.version }]);
  });
});

describe('PostgresCertificateStore: two nodes writing at once', () => {
  test.each([
    ['the current version', true],
    ['no version yet (null)', false],
  ])('of two saves expecting %s, exactly one wins and the other is STORAGE_CONFLICT', async (_label, existing) => {
    const { store: nodeA, advance } = await freshStore();
    const nodeB = new PostgresCertificateStore({ db: openPool(), clock: steppingClock().clock, logger: silentLogger });
    for (let round = 0; round < 5; round += 1) {
      const name = `race-${round}.example.com`;
      const first = existing ? await nodeA.saveCertificate(input(name)) : undefined;
      advance(1000);
      const results = await Promise.allSettled([
        nodeA.saveCertificate(input(name, 1), { expectedVersion: first?.version ?? null }),
        nodeB.saveCertificate(input(name, 2), { expectedVersion: first?.version ?? null }),
      ]);
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as AppError).code] : []));
      expect([won.length, lost]).toEqual([1, ['STORAGE_CONFLICT']]);
      expect([await nodeA.loadCertificateMeta(name), await versionCount(name)]).toEqual([won[0], existing ? 2 : 1]);
    }
  });

  test('readers never see parts of two versions while saves replace each other', async () => {
    const { store, advance } = await freshStore({ keepVersions: 1 });
    const reader = new PostgresCertificateStore({ db: openPool(), clock: steppingClock().clock, logger: silentLogger });
    const serials = new Map<string, string>();
    for (const which of [1, 2] as const)
      serials.set(
        (await store.saveCertificate(input('example.com', which))).serial,
        certs[which === 1 ? 'ecLeaf' : 'ecLeaf2'],
      );
    let saving = true;
    const saves = (async () => {
      for (let n = 0; n < 20; n += 1) {
        advance(1000);
        await store.saveCertificate(input('example.com', n % 2 === 0 ? 1 : 2));
      }
      saving = false;
    })();
    const mixed: string[] = [];
    for (let reads = 0; saving && reads < 500; reads += 1) {
      const loaded = (await reader.loadCertificate('example.com'))!;
      if (serials.get(loaded.meta.serial) !== loaded.certPem) mixed.push(loaded.meta.version);
    }
    await saves;
    expect(mixed).toEqual([]);
  });

  test('a save waiting for the row lock and aborted meanwhile rejects with the reason and writes nothing', async () => {
    const { store } = await freshStore();
    const before = await store.saveCertificate(input('example.com'));
    const blocker = db.newClient();
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM acme_certificates WHERE name = 'example.com' FOR UPDATE`);
      const controller = new AbortController();
      const saving = store.saveCertificate(input('example.com', 2), { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const reason = new Error('Cancelled');
      controller.abort(reason);
      await blocker.query('COMMIT');
      await expect(saving).rejects.toBe(reason);
    } finally {
      await blocker.end();
    }
    expect([await store.loadCertificateMeta('example.com'), await versionCount('example.com')]).toEqual([before, 1]);
  });
});

describe('PostgresCertificateStore: versions and the archive', () => {
  test.each([
    [undefined, 3],
    [1, 1],
    [2, 2],
  ])('with keepVersions %p, %i version(s) remain after five saves, the current one among them', async (keep, left) => {
    const { store, advance } = await freshStore(keep === undefined ? {} : { keepVersions: keep });
    let last = await store.saveCertificate(input('example.com'));
    for (let n = 0; n < 4; n += 1) {
      advance(1000);
      last = await store.saveCertificate(input('example.com', n % 2 === 0 ? 2 : 1));
    }
    const rows = await db.query<{ version: string }>(
      'SELECT version FROM acme_certificate_versions WHERE name = $1 ORDER BY version DESC',
      ['example.com'],
    );
    expect([rows.length, rows[0]?.version, await store.loadCertificateMeta('example.com')]).toEqual([
      left,
      last.version,
      last,
    ]);
  });

  test('removeCertificate() moves every version, the renewal state and each node’s deploy state into one archive row', async () => {
    const { store, advance, logger } = await freshStore();
    const first = await store.saveCertificate(input('example.com', 1));
    advance(1000);
    const second = await store.saveCertificate(input('example.com', 2));
    await new PostgresRenewalStateStore({ db }).save('example.com', { failuresTotal: 1 }, { expectedRevision: 0 });
    const deployed = { status: 'deployed' as const, serial: 'AB', at: T0.toISOString() };
    await new PostgresDeployStateStore({ db }).save('example.com', 'node-1', { endpoints: { a: deployed } });
    const removed = await store.removeCertificate('example.com', { expectedVersion: second.version });
    const archive = await db.query<{ archive_id: string; content: Record<string, unknown> }>(
      'SELECT archive_id, content FROM acme_archive',
    );
    const left = await db.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM acme_certificates) + (SELECT count(*) FROM acme_certificate_versions)
        + (SELECT count(*) FROM acme_renewal_state) + (SELECT count(*) FROM acme_deploy_state))::int AS n`,
    );
    expect([removed, left]).toEqual([{ archiveId: 'example.com-20261127T100001Z' }, [{ n: 0 }]]);
    expect(archive[0]!.content).toEqual({
      currentVersion: second.version,
      versions: [
        expect.objectContaining({ version: first.version, meta: first, keyPem: certs.ecLeafKey }),
        expect.objectContaining({ version: second.version, meta: second, certPem: certs.ecLeaf2 }),
      ],
      renewalState: { value: { failuresTotal: 1 }, revision: 1 },
      deployState: { 'node-1': { endpoints: { a: deployed } } },
    });
    // Issued again and removed in the same second: another archive id.
    await store.saveCertificate(input('example.com'));
    expect(await store.removeCertificate('example.com')).toEqual({ archiveId: 'example.com-20261127T100001Z-2' });
    expect(
      keyLines(certs.ecLeafKey, certs.ecLeaf2Key).filter((l) => JSON.stringify(logger.records).includes(l)),
    ).toEqual([]);
  });

  test('removeCertificate() archives the renewal state of a name that never got a certificate', async () => {
    const { store } = await freshStore();
    await new PostgresRenewalStateStore({ db }).save('new.example.com', { failuresTotal: 3 }, { expectedRevision: 0 });
    expect(await store.removeCertificate('new.example.com')).toEqual({ archiveId: 'new.example.com-20261127T100000Z' });
    expect(await new PostgresRenewalStateStore({ db }).load('new.example.com')).toEqual({ value: {}, revision: 0 });
  });
});

describe('PostgresCertificateStore: damaged rows', () => {
  test.each<[string, string]>([
    ['current version row is gone', 'DELETE FROM acme_certificate_versions WHERE name = $1'],
    ['metadata misses a field', `UPDATE acme_certificate_versions SET meta = meta - 'serial' WHERE name = $1`],
    [
      'metadata is that of another certificate',
      `UPDATE acme_certificate_versions SET meta = jsonb_set(meta, '{name}', '"other.example.com"') WHERE name = $1`,
    ],
    ['certificate is not PEM', `UPDATE acme_certificate_versions SET cert_pem = 'garbage' WHERE name = $1`],
    ['chain is not PEM', `UPDATE acme_certificate_versions SET chain_pem = 'garbage' WHERE name = $1`],
    ['key is cut off', `UPDATE acme_certificate_versions SET key_pem = substr(key_pem, 30) WHERE name = $1`],
  ])('a certificate whose %s is STORAGE_CORRUPT naming it, and still listed', async (_label, damage) => {
    const { store } = await freshStore();
    await store.saveCertificate(input('bad.example.com'));
    await db.query(damage, ['bad.example.com']);
    const error = await store.loadCertificate('bad.example.com').catch((e: unknown) => e);
    expect([
      (error as AppError).code,
      await codeOf(store.listCertificates()),
      await store.listCertificateNames(),
    ]).toEqual(['STORAGE_CORRUPT', 'STORAGE_CORRUPT', ['bad.example.com']]);
    expect((error as Error).message).toContain('bad.example.com');
    expect(keyLines(certs.ecLeafKey).filter((line) => (error as Error).message.includes(line))).toEqual([]);
  });

  test.each<[string, string]>([
    ['a renewal state of the wrong shape', `INSERT INTO acme_renewal_state VALUES ('a.example', '{"failure": 3}', 1)`],
    ['a renewal state at revision 0', `INSERT INTO acme_renewal_state VALUES ('a.example', '{}', 0)`],
  ])('%s is STORAGE_CORRUPT', async (_label, sql) => {
    await emptyStore();
    await db.query(sql);
    expect(await codeOf(new PostgresRenewalStateStore({ db }).load('a.example'))).toBe('STORAGE_CORRUPT');
  });

  test.each<[string, string]>([
    ['an endpoint without a status', `{"endpoints": {"a": {"serial": "AB", "at": "x"}}}`],
    ['not an object', `"deployed"`],
    [
      'an endpoint labelled "__proto__"',
      `{"endpoints": {"__proto__": {"status": "deployed", "serial": "AB", "at": "x"}}}`,
    ],
  ])('a deploy state with %s is STORAGE_CORRUPT', async (_label, state) => {
    await emptyStore();
    await db.query(`INSERT INTO acme_deploy_state VALUES ('a.example', 'node-1', $1::jsonb, clock_timestamp())`, [
      state,
    ]);
    const store = new PostgresDeployStateStore({ db });
    expect([await codeOf(store.load('a.example', 'node-1')), await codeOf(store.loadAllNodes('a.example'))]).toEqual([
      'STORAGE_CORRUPT',
      'STORAGE_CORRUPT',
    ]);
  });
});

test('a deploy state row of a node id no node can have is STORAGE_CORRUPT in loadAllNodes()', async () => {
  await emptyStore();
  await db.query(
    `INSERT INTO acme_deploy_state VALUES ('a.example', 'Node 1', '{"endpoints": {}}', clock_timestamp())`,
  );
  expect(await codeOf(new PostgresDeployStateStore({ db }).loadAllNodes('a.example'))).toBe('STORAGE_CORRUPT');
});

describe('PostgresAccountKeyStage', () => {
  const account = {
    directoryUrl: DIRECTORY,
    accountUrl: 'https://127.0.0.1:14000/acct/1',
    keyPem: certs.ecLeafKey,
    createdAt: T0.toISOString(),
  };

  async function setup() {
    const { store } = await freshStore();
    return { store, stage: new PostgresAccountKeyStage({ db }) };
  }

  test('stage() keeps the new key beside the account key; promote() swaps them and leaves none staged', async () => {
    const { store, stage } = await setup();
    await store.saveAccount(account);
    await stage.stage(DIRECTORY, certs.ecLeaf2Key);
    const staged = [await stage.staged(DIRECTORY), (await store.loadAccount(DIRECTORY))?.keyPem];
    await store.saveAccount(account);
    const afterResave = await stage.staged(DIRECTORY);
    await stage.promote(DIRECTORY);
    expect([
      ...staged,
      afterResave,
      (await store.loadAccount(DIRECTORY))?.keyPem,
      await stage.staged(DIRECTORY),
    ]).toEqual([certs.ecLeaf2Key, certs.ecLeafKey, certs.ecLeaf2Key, certs.ecLeaf2Key, undefined]);
  });

  test('discard() drops the staged key only; promote() then fails with STORAGE_CORRUPT and keeps the key', async () => {
    const { store, stage } = await setup();
    await store.saveAccount(account);
    await stage.stage(DIRECTORY, certs.ecLeaf2Key);
    await stage.discard(DIRECTORY);
    expect([
      await stage.staged(DIRECTORY),
      await codeOf(stage.promote(DIRECTORY)),
      (await store.loadAccount(DIRECTORY))?.keyPem,
    ]).toEqual([undefined, 'STORAGE_CORRUPT', certs.ecLeafKey]);
  });

  test('without an account, staged() is undefined, discard() does nothing, stage() and promote() fail with STORAGE_CORRUPT', async () => {
    const { stage } = await setup();
    await stage.discard(DIRECTORY);
    expect([
      await stage.staged(DIRECTORY),
      await codeOf(stage.stage(DIRECTORY, certs.ecLeaf2Key)),
      await codeOf(stage.promote(DIRECTORY)),
    ]).toEqual([undefined, 'STORAGE_CORRUPT', 'STORAGE_CORRUPT']);
  });
});

describe('migrateSchema() on a real PostgreSQL', () => {
  test('three nodes migrating a new database at once migrate it once and record the version', async () => {
    const url = await server.createDatabase('migrate_race');
    const pools = [openPool(url), openPool(url), openPool(url)];
    const results = await Promise.all(pools.map((pool) => migrateSchema(pool)));
    expect([
      results.map((r) => `${r.from}->${r.to}`).sort(),
      await pools[0]!.query('SELECT version FROM acme_schema'),
    ]).toEqual([
      [`0->${SCHEMA_VERSION}`, `${SCHEMA_VERSION}->${SCHEMA_VERSION}`, `${SCHEMA_VERSION}->${SCHEMA_VERSION}`],
      [{ version: SCHEMA_VERSION }],
    ]);
  });

  test('a database migrated by a newer release is refused with ConfigError and left as it is', async () => {
    const url = await server.createDatabase('migrate_newer');
    const pool = openPool(url);
    await migrateSchema(pool);
    await pool.query('UPDATE acme_schema SET version = $1', [SCHEMA_VERSION + 1]);
    const error = await migrateSchema(pool).catch((e: unknown) => e);
    expect([error instanceof ConfigError, (error as Error).message]).toEqual([
      true,
      expect.stringContaining(`schema is version ${SCHEMA_VERSION + 1}`),
    ]);
    expect(await pool.query('SELECT version FROM acme_schema')).toEqual([{ version: SCHEMA_VERSION + 1 }]);
  });
});
