import { ConfigError, StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import type { PgDatabase } from '../../../src/storage/postgres/_db';
import { parseCertificateChange, reconnectDelayMs } from '../../../src/storage/postgres/_feed';
import { holderOfRow, isTransientFailure, leaseMarginMs, PostgresLocks } from '../../../src/storage/postgres/_locks';
import { PostgresChallengeTokenRegistry } from '../../../src/storage/postgres/_tokens';

/** A database nobody may reach: these tests never get that far. */
const unreachable = {
  label: 'postgres://db.test:5432/acme',
  query: () => Promise.reject(new Error('no database in unit tests')),
} as unknown as PgDatabase;

const ioError = (code?: string): StorageError =>
  new StorageError('STORAGE_IO', 'Cannot run a query', {
    path: 'postgres://db.test:5432/acme',
    retryable: true,
    cause: Object.assign(new Error('cause'), code === undefined ? {} : { code }),
  });

describe('leaseMarginMs()', () => {
  test.each([
    [30_000, 3000],
    [10_000, 1000],
    [60_000, 6000],
    [4000, 1000],
    [2000, 500],
    [1000, 250],
    [0, 0],
  ])('leaseMarginMs(%d) is %d', (leaseMs, marginMs) => {
    expect(leaseMarginMs(leaseMs)).toBe(marginMs);
  });
});

describe('isTransientFailure()', () => {
  test.each<[string, unknown, boolean]>([
    ['a refused connection', ioError('ECONNREFUSED'), true],
    ['a connection without a code', ioError(), true],
    ['admin shutdown (57P01)', ioError('57P01'), true],
    ['a statement timeout (57014)', ioError('57014'), true],
    ['a connection failure (08006)', ioError('08006'), true],
    ['a serialization failure (40001)', ioError('40001'), true],
    ['too many connections (53300)', ioError('53300'), true],
    ['a missing table (42P01)', ioError('42P01'), false],
    ['a refused login (28P01)', ioError('28P01'), false],
    ['a missing database (3D000)', ioError('3D000'), false],
    ['bad input (22P02)', ioError('22P02'), false],
    ['a StorageError that is not retryable', new StorageError('STORAGE_CORRUPT', 'x', { path: 'p' }), false],
    ['a ConfigError (a newer schema)', new ConfigError('newer schema'), false],
    ['an abort reason', new Error('stopped'), false],
    ['not an error', 'ECONNREFUSED', false],
  ])('%s: %s', (_label, error, transient) => {
    expect(isTransientFailure(error)).toBe(transient);
  });
});

describe('holderOfRow()', () => {
  const at = new Date('2025-01-02T03:04:05.678Z');
  const later = new Date('2025-01-02T03:04:15.678Z');
  const row = (info: unknown, acquired: unknown = at, refreshed: unknown = later) => ({
    info,
    acquired_at: acquired,
    refreshed_at: refreshed,
  });

  test('a row this release wrote names the holder, its node and command, with the database times', () => {
    expect(holderOfRow(row({ node: 'edge-1', pid: 42, hostname: 'web1', command: 'acme renew' }))).toEqual({
      info: {
        node: 'edge-1',
        pid: 42,
        hostname: 'web1',
        command: 'acme renew',
        acquiredAt: '2025-01-02T03:04:05.678Z',
        refreshedAt: '2025-01-02T03:04:15.678Z',
      },
      mtimeMs: later.getTime(),
    });
  });

  test('fields of the wrong type are dropped, not shown', () => {
    expect(holderOfRow(row({ pid: 7, hostname: 'web1', node: 5, command: ['x'], extra: 'y' }))?.info).toEqual({
      pid: 7,
      hostname: 'web1',
      acquiredAt: at.toISOString(),
      refreshedAt: later.toISOString(),
    });
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', '{"pid":1}'],
    ['no pid', { hostname: 'web1' }],
    ['a fractional pid', { pid: 1.5, hostname: 'web1' }],
    ['a string pid', { pid: '1', hostname: 'web1' }],
    ['no hostname', { pid: 1 }],
  ])('info that is %s names nobody', (_label, info) => {
    expect(holderOfRow(row(info))).toEqual({ info: undefined, mtimeMs: later.getTime() });
  });

  test.each<[string, unknown, unknown]>([
    ['no acquired_at', null, later],
    ['a refreshed_at that is a string', at, '2025-01-02'],
    ['an invalid date', new Date(Number.NaN), later],
  ])('a row with %s is not read at all', (_label, acquired, refreshed) => {
    expect(holderOfRow(row({ pid: 1, hostname: 'h' }, acquired, refreshed))).toBeUndefined();
  });
});

describe('PostgresLocks options', () => {
  const holder = { node: 'edge-1', pid: 1, hostname: 'web1' };
  const logger = new CapturingLogger();

  test.each<[string, number, number | undefined]>([
    ['a lease of 0 ms', 0, undefined],
    ['a lease that is not a number', Number.NaN, undefined],
    ['renewals as slow as the lease', 1000, 1000],
    ['renewals slower than the lease less its margin', 1000, 800],
    ['renewals every 0 ms', 1000, 0],
  ])('new PostgresLocks() refuses %s with a ConfigError', (_label, leaseMs, refreshMs) => {
    const make = () =>
      new PostgresLocks({
        db: unreachable,
        leaseMs,
        holder,
        logger,
        ...(refreshMs === undefined ? {} : { refreshMs }),
      });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/^Cannot use a lease of .+ ms renewed every .+ ms: a renewal must come before the lease/);
  });

  test('whereOf() names the database by its label and the lock by its name', () => {
    expect(new PostgresLocks({ db: unreachable, leaseMs: 30_000, holder, logger }).whereOf('certificate/a.test')).toBe(
      'postgres://db.test:5432/acme lease certificate/a.test',
    );
  });

  test('acquire() of a bad name is refused before any statement', async () => {
    const locks = new PostgresLocks({ db: unreachable, leaseMs: 30_000, holder, logger });
    await expect(locks.acquire('certificate/../x' as never, { timeoutMs: 0 })).rejects.toThrow(ConfigError);
  });

  test('acquire() throws at once an error that retrying cannot fix (a missing table), after one attempt', async () => {
    let statements = 0;
    const missingTable = {
      ...unreachable,
      query: () => {
        statements += 1;
        return Promise.reject(ioError('42P01'));
      },
    } as PgDatabase;
    const locks = new PostgresLocks({ db: missingTable, leaseMs: 30_000, holder, logger, pollMs: 10 });
    const started = Date.now();
    await expect(locks.acquire('home', { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'STORAGE_IO',
      cause: { code: '42P01' },
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(statements).toBe(1);
  });
});

describe('PostgresChallengeTokenRegistry options', () => {
  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('a ttlMs of %d is refused with a ConfigError', (ttlMs) => {
    expect(() => new PostgresChallengeTokenRegistry({ db: unreachable, ttlMs })).toThrow(
      `Cannot keep HTTP-01 tokens for ${ttlMs} ms: expected a positive number of ms`,
    );
  });

  test('get() and remove() of a malformed token never reach the database', async () => {
    const registry = new PostgresChallengeTokenRegistry({ db: unreachable });
    await expect(Promise.all([registry.get('../x'), registry.remove('%41%41')])).resolves.toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('parseCertificateChange()', () => {
  test.each<[string, string | undefined, unknown]>([
    ['a new version', '{"name":"a.test","version":"20250101-000000"}', { name: 'a.test', version: '20250101-000000' }],
    ['a removal', '{"name":"_wildcard.a.test","version":null}', { name: '_wildcard.a.test', version: null }],
    ['extra fields', '{"name":"a.test","version":"v","node":"edge-2"}', { name: 'a.test', version: 'v' }],
    ['no payload', undefined, undefined],
    ['an empty payload', '', undefined],
    ['not JSON', 'a.test', undefined],
    ['JSON null', 'null', undefined],
    ['an array', '["a.test","v"]', undefined],
    ['no name', '{"version":"v"}', undefined],
    ['a name with a path', '{"name":"../etc","version":"v"}', undefined],
    ['an unsanitised name', '{"name":"*.A.test","version":"v"}', undefined],
    ['a name that is a number', '{"name":1,"version":"v"}', undefined],
    ['no version', '{"name":"a.test"}', undefined],
    ['an empty version', '{"name":"a.test","version":""}', undefined],
    ['a version that is a number', '{"name":"a.test","version":1}', undefined],
  ])('%s', (_label, payload, change) => {
    expect(parseCertificateChange(payload)).toEqual(change);
  });
});

describe('reconnectDelayMs()', () => {
  test.each([
    [0, 0, 125],
    [0, 0.999_999, 250],
    [1, 0.5, 375],
    [3, 1, 2000],
    [7, 0, 15_000],
    [8, 1, 30_000],
    [100, 1, 30_000],
    [-5, 1, 250],
    [2, -1, 500],
    [2, 7, 1000],
  ])('attempt %d with random %d waits %d ms (250 doubling to 30000)', (attempt, random, delayMs) => {
    expect(reconnectDelayMs(attempt, 250, 30_000, random)).toBe(delayMs);
  });
});
