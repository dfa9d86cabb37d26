/**
 * The coordination half of the PostgreSQL store against a real PostgreSQL on 127.0.0.1: leases
 * with fencing (the Locks contract, fence order, clock independence, a paused process), the shared
 * HTTP-01 token registry (its contract, two pools, expiry), and the LISTEN change feed (delivery,
 * a terminated connection, a silently dead one, a server restart, a clean stop).
 */
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StorageError } from '../../src/errors';
import { CapturingLogger } from '../../src/log';
import type { CertificateChange, HeldLock, LockName } from '../../src/storage';
import { openPgDatabase, type PgDatabase } from '../../src/storage/postgres/_db';
import { PostgresChangeFeed } from '../../src/storage/postgres/_feed';
import { PostgresLocks, type PostgresLocksOptions } from '../../src/storage/postgres/_locks';
import { CERTIFICATE_CHANGED_CHANNEL, migrateSchema } from '../../src/storage/postgres/_schema';
import { PostgresChallengeTokenRegistry } from '../../src/storage/postgres/_tokens';
import { locksContract } from '../contract/locksContract';
import { describeRegistryContract } from '../contract/tokenRegistryContract';
import { startPostgres, type TestPostgres } from '../peers/_postgres';
import { KEY_AUTHORIZATION, TOKEN } from '../unit/challenge/_http';

const LEASE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

let server: TestPostgres;
let db: PgDatabase;
const opened: PgDatabase[] = [];

/** A pool of its own (the tests' "other node"); closed in afterAll. */
function openDb(url = server.url, applicationName = 'haproxy-acme test'): PgDatabase {
  const pool = openPgDatabase(url, { applicationName, logger: new CapturingLogger() });
  opened.push(pool);
  return pool;
}

/** Polls `check` every 20 ms until it is true; fails after `ms`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A PgDatabase in front of `inner` whose statements fail (a lost connection) or wait first, when told. */
function faultyDb(inner: PgDatabase): PgDatabase & { failing: boolean; delayMs: number; renewals: number[] } {
  const wrapper = {
    failing: false,
    delayMs: 0,
    /** Rows each renewal returned, in order. */
    renewals: [] as number[],
    label: inner.label,
    async query<R>(sql: string, params?: unknown[], options?: { signal?: AbortSignal }): Promise<R[]> {
      if (wrapper.failing)
        throw new StorageError('STORAGE_IO', 'Cannot run a query: Connection terminated unexpectedly', {
          path: inner.label,
          retryable: true,
        });
      if (wrapper.delayMs > 0) await sleep(wrapper.delayMs);
      const rows = await inner.query(sql, params, options);
      if (sql.startsWith('UPDATE acme_leases')) wrapper.renewals.push(rows.length);
      return rows as R[];
    },
    transaction: inner.transaction.bind(inner),
    newClient: () => inner.newClient(),
    close: () => inner.close(),
  };
  return wrapper as typeof wrapper & PgDatabase;
}

function newLocks(pool: PgDatabase, overrides: Partial<PostgresLocksOptions> = {}): PostgresLocks {
  return new PostgresLocks({
    db: pool,
    leaseMs: LEASE_MS,
    holder: { node: 'edge-1', pid: process.pid, hostname: 'test-host', command: 'acme test' },
    logger: new CapturingLogger(),
    pollMs: 20,
    ...overrides,
  });
}

async function leaseRow(name: LockName): Promise<{ fence: string; live: boolean } | undefined> {
  const rows = await db.query<{ fence: string; live: boolean }>(
    'SELECT fence::text AS fence, expires_at > clock_timestamp() AS live FROM acme_leases WHERE name = $1',
    [name],
  );
  return rows[0];
}

beforeAll(async () => {
  server = await startPostgres();
  db = openDb();
  await migrateSchema(db);
});

afterAll(async () => {
  await Promise.all(opened.map((pool) => pool.close()));
  await server?.stop();
});

locksContract('PostgresLocks', async () => {
  const pool = faultyDb(db);
  return {
    locks: newLocks(pool),
    staleMs: LEASE_MS,
    takeOver: async (name) => {
      await db.query(
        `UPDATE acme_leases SET holder = 'edge-9', fence = nextval('acme_fence'),
          expires_at = clock_timestamp() + interval '1 hour',
          info = '{"node":"edge-9","pid":999999,"hostname":"other-host"}' WHERE name = $1`,
        [name],
      );
    },
    breakRefresh: async () => {
      pool.failing = true;
    },
    plantDeadHolder: async (name) => {
      await db.query(
        `INSERT INTO acme_leases (name, holder, fence, expires_at, acquired_at, refreshed_at, info)
          VALUES ($1, 'edge-8', nextval('acme_fence'), clock_timestamp() + $2::float8 * interval '1 millisecond',
            clock_timestamp(), clock_timestamp(), '{"node":"edge-8","pid":999998,"hostname":"dead-host"}')`,
        [name, LEASE_MS],
      );
    },
    cleanup: async () => {
      await db.query('DELETE FROM acme_leases');
    },
  };
});

describe('PostgresLocks fencing', () => {
  const held: HeldLock[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((lock) => lock.release()));
    await db.query('DELETE FROM acme_leases');
  });

  test('fence tokens strictly increase across holders and names', async () => {
    const a = newLocks(openDb());
    const b = newLocks(openDb(), { holder: { node: 'edge-2', pid: 2, hostname: 'other-host' } });
    const fences: bigint[] = [];
    for (const [locks, name] of [
      [a, 'certificate/a.test'],
      [b, 'certificate/b.test'],
      [b, 'certificate/a.test'],
      [a, 'home'],
      [a, 'certificate/b.test'],
    ] as const) {
      const lock = await locks.acquire(name, { timeoutMs: 2000 });
      fences.push(BigInt(lock.fence!));
      await lock.release();
    }
    expect(fences.every((fence, i) => i === 0 || fence > fences[i - 1]!)).toBe(true);
    await expect(leaseRow('certificate/a.test')).resolves.toBeUndefined();
  });

  test('a takeover after expiry gets a greater fence, and the old holder cannot renew it back', async () => {
    const pool = faultyDb(openDb());
    const first = await newLocks(pool).acquire('certificate/a.test', { timeoutMs: 0 });
    held.push(first);
    // Its renewals now wait past the database's expiry: they reach the row only once it is expired.
    pool.delayMs = LEASE_MS * 2;
    const started = Date.now();
    const second = await newLocks(openDb()).acquire('certificate/a.test', { timeoutMs: LEASE_MS * 3 });
    held.push(second);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE_MS / 2);
    expect(BigInt(second.fence!)).toBeGreaterThan(BigInt(first.fence!));
    expect(first.signal.reason).toMatchObject({ code: 'LOCK_LOST' });
    await waitFor('the delayed renewal to reach the database', () => pool.renewals.length > 0, LEASE_MS * 4);
    expect(pool.renewals[0]).toBe(0);
    await expect(leaseRow('certificate/a.test')).resolves.toEqual({ fence: second.fence, live: true });
    await first.release();
    await expect(leaseRow('certificate/a.test')).resolves.toEqual({ fence: second.fence, live: true });
  });

  test('a lease expired in the database cannot be renewed back, even before anyone takes it', async () => {
    const pool = faultyDb(openDb());
    const lock = await newLocks(pool).acquire('home', { timeoutMs: 0 });
    held.push(lock);
    pool.delayMs = LEASE_MS * 2;
    await waitFor('the delayed renewal to reach the database', () => pool.renewals.length > 0, LEASE_MS * 4);
    expect(pool.renewals[0]).toBe(0);
    await expect(leaseRow('home')).resolves.toEqual({ fence: lock.fence, live: false });
    expect(() => lock.assertHeld()).toThrow(expect.objectContaining({ code: 'LOCK_LOST' }));
  });

  test('a process that stops running for longer than the lease sees it lost at once, and another node takes it', async () => {
    const lock = await newLocks(openDb()).acquire('certificate/a.test', { timeoutMs: 0 });
    held.push(lock);
    expect(() => lock.assertHeld()).not.toThrow();
    // Like SIGSTOP then SIGCONT: no timer, no renewal runs while the event loop is blocked.
    const until = performance.now() + LEASE_MS * 1.5;
    while (performance.now() < until);
    expect(() => lock.assertHeld()).toThrow(
      expect.objectContaining({ code: 'LOCK_LOST', message: expect.stringMatching(/ran out before a renewal/) }),
    );
    expect(lock.signal.aborted).toBe(true);
    const other = await newLocks(openDb()).acquire('certificate/a.test', { timeoutMs: 0 });
    held.push(other);
    expect(BigInt(other.fence!)).toBeGreaterThan(BigInt(lock.fence!));
  });

  test('acquire() with the database down retries until the timeout, then throws the StorageError', async () => {
    const pool = faultyDb(openDb());
    const logger = new CapturingLogger();
    pool.failing = true;
    const attempt = newLocks(pool, { logger }).acquire('home', { timeoutMs: 200 });
    await expect(attempt).rejects.toMatchObject({ name: 'StorageError', code: 'STORAGE_IO', retryable: true });
    expect(logger.records.filter((record) => record.level === 'warn')).toHaveLength(1);
  });

  test('acquire() with the database back before the timeout takes the lock', async () => {
    const pool = faultyDb(openDb());
    pool.failing = true;
    setTimeout(() => (pool.failing = false), 150);
    const lock = await newLocks(pool).acquire('home', { timeoutMs: 2000 });
    held.push(lock);
    await expect(leaseRow('home')).resolves.toEqual({ fence: lock.fence, live: true });
  });

  test('onWait names the holder and its node from the row', async () => {
    held.push(await newLocks(openDb()).acquire('home', { timeoutMs: 0 }));
    const seen: unknown[] = [];
    const attempt = newLocks(openDb()).acquire('home', { timeoutMs: 100, onWait: ({ holder }) => seen.push(holder) });
    await expect(attempt).rejects.toThrow(
      /held by pid \d+ on host test-host \(node edge-1\) since .+\(running "acme test"\)/,
    );
    expect(seen[0]).toEqual({
      node: 'edge-1',
      pid: process.pid,
      hostname: 'test-host',
      command: 'acme test',
      acquiredAt: expect.any(String),
      refreshedAt: expect.any(String),
    });
  });
});

/** A child process under faketime (wall clock `offset` away) that holds `name` for three leases. */
function holdUnderFaketime(offset: string, name: LockName, script: string): ReturnType<typeof spawn> {
  return spawn(
    'faketime',
    ['-f', offset, resolve('node_modules/.bin/tsx'), script, server.url, name, String(LEASE_MS)],
    {
      env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('PostgresLocks clock independence', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'acme-pg-clock-'));
    script = join(dir, 'hold.ts');
    const src = (file: string): string => JSON.stringify(resolve('src', file));
    await fsp.writeFile(
      script,
      `import { openPgDatabase } from ${src('storage/postgres/_db')};
import { PostgresLocks } from ${src('storage/postgres/_locks')};
import { silentLogger } from ${src('log')};
const [url, name, lease] = process.argv.slice(2);
const db = openPgDatabase(url, { applicationName: 'clock test', logger: silentLogger });
const locks = new PostgresLocks({ db, leaseMs: Number(lease), logger: silentLogger, holder: { node: 'skewed', pid: process.pid, hostname: 'skewed-host' } });
void (async () => {
  const lock = await locks.acquire(name as never, { timeoutMs: 5000 });
  console.log(JSON.stringify({ acquired: lock.fence, wallNow: Date.now() }));
  for (let i = 0; i < 12; i += 1) { await new Promise((r) => setTimeout(r, Number(lease) / 4)); lock.assertHeld(); }
  await lock.release();
  console.log(JSON.stringify({ released: true }));
  await db.close();
})().catch((error) => { console.log(JSON.stringify({ error: String(error) })); process.exitCode = 1; });
`,
    );
  });
  afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

  test.each(['+3h', '-3h'])(
    'a holder whose wall clock is %s off keeps its lease for three leases, excludes others, and releases it',
    async (offset) => {
      const child = holdUnderFaketime(offset, 'certificate/clock.test', script);
      const lines: Record<string, unknown>[] = [];
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      });
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      try {
        await waitFor('the child to take the lease', () => lines.length > 0, 20_000);
        expect(lines[0]).toHaveProperty('acquired');
        const skewMs = (lines[0]!.wallNow as number) - Date.now();
        expect(Math.abs(skewMs)).toBeGreaterThan(2.9 * 3_600_000); // faketime really moved its wall clock
        const other = newLocks(db).acquire('certificate/clock.test', { timeoutMs: LEASE_MS * 2 });
        await expect(other).rejects.toThrow(/held by pid \d+ on host skewed-host \(node skewed\)/);
        await expect(exited).resolves.toBe(0);
        expect(lines.at(-1)).toEqual({ released: true });
        await expect(leaseRow('certificate/clock.test')).resolves.toBeUndefined();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        if (stderr !== '') process.stderr.write(stderr);
      }
    },
  );
});

describeRegistryContract('PostgresChallengeTokenRegistry', async () => {
  await db.query('DELETE FROM acme_challenge_tokens');
  return new PostgresChallengeTokenRegistry({ db });
});

describe('PostgresChallengeTokenRegistry across nodes', () => {
  beforeEach(() => db.query('DELETE FROM acme_challenge_tokens'));

  test('two registries on two pools see each other’s tokens and removals', async () => {
    const [one, two] = [openDb(), openDb()].map((pool) => new PostgresChallengeTokenRegistry({ db: pool }));
    await one!.add(TOKEN, KEY_AUTHORIZATION);
    await expect(two!.get(TOKEN)).resolves.toBe(KEY_AUTHORIZATION);
    await two!.remove(TOKEN);
    await expect(one!.get(TOKEN)).resolves.toBeUndefined();
  });

  test('a token is no longer answered once its ttl passed, and a later add() deletes it', async () => {
    const registry = new PostgresChallengeTokenRegistry({ db, ttlMs: 300 });
    await registry.add(TOKEN, KEY_AUTHORIZATION);
    await expect(registry.get(TOKEN)).resolves.toBe(KEY_AUTHORIZATION);
    await sleep(400);
    await expect(registry.get(TOKEN)).resolves.toBeUndefined();
    await registry.add(`${TOKEN.slice(0, -1)}x`, 'other');
    await expect(db.query('SELECT token FROM acme_challenge_tokens')).resolves.toEqual([
      { token: `${TOKEN.slice(0, -1)}x` },
    ]);
  });
});

/** A TCP relay to the server on 127.0.0.1 whose open connections can be frozen: no byte passes, nothing closes. */
async function startRelay(port: number): Promise<{ url: string; freeze(): void; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const relay = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.push(client, upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => relay.listen(0, '127.0.0.1', done));
  const relayPort = (relay.address() as net.AddressInfo).port;
  return {
    url: server.url.replace(`:${server.port}/`, `:${relayPort}/`),
    freeze: () => {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => relay.close(done));
    },
  };
}

/** What a follower saw, in order. */
type FeedEvent = { change: CertificateChange } | { resync: string } | { disconnect: string };

describe('PostgresChangeFeed', () => {
  /** Only the feed's own connection carries this name (its pool runs no statement). */
  const FEED_APP = 'haproxy-acme feed';
  let feedDb: PgDatabase;
  beforeAll(() => {
    feedDb = openDb(server.url, FEED_APP);
  });
  const controllers: AbortController[] = [];
  const follows: Promise<void>[] = [];
  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    await Promise.all(follows.splice(0));
  });

  /** Starts following with short timings; returns what it sees. */
  function follow(
    pool: PgDatabase = feedDb,
    logger = new CapturingLogger(),
  ): { events: FeedEvent[]; stop(): Promise<void> } {
    const events: FeedEvent[] = [];
    const controller = new AbortController();
    const feed = new PostgresChangeFeed({ db: pool, logger, minBackoffMs: 50, maxBackoffMs: 400, pingMs: 300 });
    const done = feed.follow(
      {
        onChange: (change) => events.push({ change }),
        onResync: (reason) => events.push({ resync: reason }),
        onDisconnect: (error) => events.push({ disconnect: error.message }),
      },
      { signal: controller.signal },
    );
    controllers.push(controller);
    follows.push(done);
    return {
      events,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
  }

  const notify = (payload: string): Promise<unknown> =>
    db.query('SELECT pg_notify($1, $2)', [CERTIFICATE_CHANGED_CHANNEL, payload]);
  const changeOf = (name: string, version: string | null): string => JSON.stringify({ name, version });
  const has = (events: FeedEvent[], event: FeedEvent): boolean =>
    events.some((seen) => JSON.stringify(seen) === JSON.stringify(event));
  const listeners = async (): Promise<number> =>
    Number(await server.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = '${FEED_APP}'`));

  test('follow() reports the first connect, then each change committed by another connection', async () => {
    const feed = follow();
    await waitFor('the first resync', () => has(feed.events, { resync: 'connected' }));
    await notify(changeOf('a.test', 'v1'));
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [CERTIFICATE_CHANGED_CHANNEL, changeOf('_wildcard.b.test', null)]);
    });
    await waitFor('two changes', () => feed.events.length >= 3);
    expect(feed.events).toEqual([
      { resync: 'connected' },
      { change: { name: 'a.test', version: 'v1' } },
      { change: { name: '_wildcard.b.test', version: null } },
    ]);
  });

  test('follow() ignores, and logs, a payload it does not understand', async () => {
    const logger = new CapturingLogger();
    const feed = follow(feedDb, logger);
    await waitFor('the first resync', () => feed.events.length > 0);
    for (const bad of ['not json', '[]', changeOf('../etc', 'v1'), changeOf('A.test', 'v1'), '{"name":"a.test"}'])
      await notify(bad);
    await notify(changeOf('a.test', 'v2'));
    await waitFor('the good change', () => feed.events.length >= 2);
    expect(feed.events).toEqual([{ resync: 'connected' }, { change: { name: 'a.test', version: 'v2' } }]);
    expect(logger.records.filter((record) => record.message.startsWith('Ignored a certificate change'))).toHaveLength(
      5,
    );
  });

  test('a terminated LISTEN connection is reported, reconnected and resynced, and later changes arrive', async () => {
    const feed = follow();
    await waitFor('the first resync', () => feed.events.length > 0);
    await server.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${FEED_APP}'`);
    await waitFor('the reconnect', () => has(feed.events, { resync: 'reconnected' }), 5000);
    expect(feed.events.filter((event) => 'disconnect' in event)).toHaveLength(1);
    await notify(changeOf('a.test', 'v3'));
    await waitFor('the change after the reconnect', () =>
      has(feed.events, { change: { name: 'a.test', version: 'v3' } }),
    );
  });

  test('a connection that dies silently is found by its check and replaced', async () => {
    const relay = await startRelay(server.port);
    try {
      const feed = follow(openDb(relay.url, FEED_APP));
      await waitFor('the first resync', () => feed.events.length > 0);
      relay.freeze();
      await waitFor('the reconnect', () => has(feed.events, { resync: 'reconnected' }), 5000);
      expect(feed.events[1]).toEqual({ disconnect: expect.stringMatching(/did not answer a check within 300 ms/) });
      await notify(changeOf('a.test', 'v4'));
      await waitFor('the change after the reconnect', () =>
        has(feed.events, { change: { name: 'a.test', version: 'v4' } }),
      );
      await feed.stop();
    } finally {
      await relay.close();
    }
  });

  test('follow() resolves once its signal aborts, with its connection closed', async () => {
    const feed = follow();
    await waitFor('the first resync', () => feed.events.length > 0);
    expect(await listeners()).toBe(1);
    const started = Date.now();
    await feed.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    await waitFor('the server to see the connection gone', async () => (await listeners()) === 0, 5000);
  });

  test('a server restart is survived: resync after it is back, then changes arrive', async () => {
    const feed = follow();
    await waitFor('the first resync', () => feed.events.length > 0);
    await server.stopServer();
    await waitFor('the disconnect', () => feed.events.some((event) => 'disconnect' in event), 5000);
    await sleep(300); // a few reconnects fail while the server is down
    await server.startServer();
    await waitFor('the reconnect', () => has(feed.events, { resync: 'reconnected' }), 10_000);
    await waitFor(
      'the pool to reach the server again',
      async () =>
        notify(changeOf('a.test', 'v5')).then(
          () => true,
          () => false,
        ),
      10_000,
    );
    await waitFor('the change after the restart', () =>
      has(feed.events, { change: { name: 'a.test', version: 'v5' } }),
    );
    expect(feed.events.filter((event) => 'resync' in event)).toEqual([
      { resync: 'connected' },
      { resync: 'reconnected' },
    ]);
  });
});
