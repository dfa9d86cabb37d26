import { ChildProcess, spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LockError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { FileLock, FileLockOptions, LockHolderInfo, MemoryLocks } from '../../../src/storage';

const FIXTURES = resolve(__dirname, '../../fixtures/lock');
const REPO = resolve(__dirname, '../../..');
const STALE_MS = 300;
const POLL_MS = 20;

let dir: string;
let lockPath: string;
let now: Date;
let logger: CapturingLogger;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-lock-'));
  lockPath = join(dir, 'lock');
  now = new Date();
  logger = new CapturingLogger();
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await fsp.rm(dir, { recursive: true, force: true });
});

function fileLock(options: Partial<FileLockOptions> = {}): FileLock {
  return new FileLock({
    path: lockPath,
    clock: { now: () => now },
    logger,
    staleMs: STALE_MS,
    pollMs: POLL_MS,
    ...options,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function readHolder(): Promise<LockHolderInfo> {
  return JSON.parse(await fsp.readFile(lockPath, 'utf8')) as LockHolderInfo;
}

async function writeHolder(info: Partial<LockHolderInfo>): Promise<void> {
  const iso = now.toISOString();
  await fsp.writeFile(
    lockPath,
    JSON.stringify({ pid: 1234, hostname: 'x', acquiredAt: iso, refreshedAt: iso, ...info }),
  );
}

/** Starts a child that waits for "ready" on stdout; it is killed after the test. */
async function startChild(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
    child.on('exit', (code) => fail(new Error(`child exited with ${code} before "ready"`)));
  });
  return child;
}

function holdLock(refreshedAt?: string): Promise<ChildProcess> {
  return startChild([join(FIXTURES, 'hold-lock.js'), lockPath, ...(refreshedAt === undefined ? [] : [refreshedAt])]);
}

describe('FileLock', () => {
  test('acquire() writes the holder as JSON with mode 0o600 and release() removes it, twice without error', async () => {
    now = new Date('2026-11-27T10:00:00.000Z');
    const lease = await fileLock({ command: 'acme renew' }).acquire();
    const at = '2026-11-27T10:00:00.000Z';
    expect(await readHolder()).toEqual({
      pid: process.pid,
      hostname: hostname(),
      acquiredAt: at,
      refreshedAt: at,
      command: 'acme renew',
    });
    expect((await fsp.stat(lockPath)).mode & 0o777).toBe(0o600);
    expect([lease.name, lease.where, lease.signal.aborted]).toEqual(['home', lockPath, false]);
    await lease.release();
    await lease.release();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('a held lease rewrites refreshedAt every refreshMs through a rename, keeping mode 0o600', async () => {
    now = new Date('2026-11-27T10:00:00.000Z');
    const lease = await fileLock({ refreshMs: 20 }).acquire();
    now = new Date('2026-11-27T10:00:05.000Z');
    await sleep(100);
    const held = await readHolder();
    await lease.release();
    expect(held).toMatchObject({ acquiredAt: '2026-11-27T10:00:00.000Z', refreshedAt: '2026-11-27T10:00:05.000Z' });
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('acquire() waits for an earlier holder in this process and succeeds after its release', async () => {
    const first = await fileLock().acquire();
    const waits: Array<{ holder?: LockHolderInfo; waitedMs: number }> = [];
    let acquired = false;
    const second = fileLock()
      .acquire({ onWait: (info) => waits.push(info) })
      .then((lease) => ((acquired = true), lease));
    await sleep(5 * POLL_MS);
    expect(acquired).toBe(false);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[0]!.holder).toMatchObject({ pid: process.pid });
    await first.release();
    await (await second).release();
    expect(acquired).toBe(true);
  });

  test('acquire() waits for a live holder on another host and succeeds once its file is gone', async () => {
    await writeHolder({ pid: process.pid, hostname: 'other-host' });
    let waits = 0;
    const pending = fileLock().acquire({ onWait: () => (waits += 1) });
    await sleep(5 * POLL_MS);
    await fsp.unlink(lockPath);
    const lease = await pending;
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(await readHolder()).toMatchObject({ pid: process.pid, hostname: hostname() });
    await lease.release();
  });

  const iso = '2026-11-27T10:00:00.000Z';
  test.each<[string, Partial<LockHolderInfo>, string]>([
    ['with a command', { command: 'acme renew' }, `held by pid 1234 on host x since ${iso} (running "acme renew")`],
    ['without a command', {}, `held by pid 1234 on host x since ${iso}`],
    [
      'with a hostile command',
      { command: 'x"; rm -rf /' },
      `held by pid 1234 on host x since ${iso} (running "x"; rm -rf /")`,
    ],
  ])('acquire() times out with the exact LockError message for a holder %s', async (_name, info, who) => {
    now = new Date(iso);
    await writeHolder(info);
    const attempt = fileLock().acquire({ timeoutMs: 200 });
    const message = `Cannot take the lock "${lockPath}": ${who}; waited 0.2 s; retry later or raise --lock-timeout`;
    await expect(attempt).rejects.toThrow(new LockError(message, { lockPath }));
    await expect(attempt).rejects.toMatchObject({ name: 'LockError', code: 'LOCK_BUSY', retryable: true, lockPath });
  });

  test('acquire() with timeoutMs 0 tries once and fails at once, whatever pollMs is', async () => {
    await writeHolder({});
    const started = Date.now();
    await expect(fileLock({ pollMs: 60_000 }).acquire({ timeoutMs: 0 })).rejects.toThrow(
      /; waited 0 s; retry later or raise --lock-timeout$/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('acquire() takes over at once a lock whose holder process is dead', async () => {
    const child = await holdLock();
    const exited = new Promise((done) => child.on('exit', done));
    child.kill('SIGKILL');
    await exited;
    let waits = 0;
    const lease = await fileLock().acquire({ onWait: () => (waits += 1), timeoutMs: 0 });
    expect(waits).toBe(0);
    expect(await readHolder()).toMatchObject({ pid: process.pid });
    expect(logger.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Took over a stale lock',
        fields: expect.objectContaining({ reason: 'holder process is gone' }),
      }),
    );
    await lease.release();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('acquire() takes over a live holder whose refreshedAt is older than staleMs', async () => {
    const child = await holdLock(new Date(now.getTime() - STALE_MS - 1).toISOString());
    const lease = await fileLock().acquire({ timeoutMs: 0 });
    expect(await readHolder()).toMatchObject({ pid: process.pid });
    expect(child.exitCode).toBeNull();
    expect(logger.records).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ reason: 'not refreshed' }) }),
    );
    await lease.release();
  });

  test('acquire() leaves alone a live holder that refreshed within staleMs', async () => {
    const child = await holdLock(new Date(now.getTime() - STALE_MS + 50).toISOString());
    await expect(fileLock().acquire({ timeoutMs: 150 })).rejects.toThrow(LockError);
    expect(await readHolder()).toMatchObject({ pid: child.pid, command: 'hold-lock' });
  });

  test.each<[string, string]>([
    ['empty', ''],
    ['truncated JSON', '{"pid":'],
    ['JSON null', 'null'],
    ['a negative pid', '{"pid":-1,"hostname":"x","acquiredAt":"a","refreshedAt":"2026-01-01T00:00:00Z"}'],
    ['a bad refreshedAt', '{"pid":1,"hostname":"x","acquiredAt":"a","refreshedAt":"soon"}'],
  ])(
    'acquire() takes over a lock file holding %s only once its mtime is older than staleMs',
    async (_name, content) => {
      await fsp.writeFile(lockPath, content);
      const mtime = new Date(Math.floor(now.getTime() / 1000) * 1000);
      await fsp.utimes(lockPath, mtime, mtime);
      now = new Date(mtime.getTime() + STALE_MS - 50);
      const message = `Cannot take the lock "${lockPath}": the lock file is empty or unreadable (modified ${mtime.toISOString()}); waited 0.1 s; retry later or raise --lock-timeout`;
      await expect(fileLock().acquire({ timeoutMs: 100 })).rejects.toThrow(message);
      now = new Date(mtime.getTime() + STALE_MS + 1);
      const lease = await fileLock().acquire({ timeoutMs: 0 });
      expect(await readHolder()).toMatchObject({ pid: process.pid });
      await lease.release();
    },
  );

  test('acquire() clears a takeover claim left by a crashed contender only once its ctime is older than staleMs', async () => {
    await writeHolder({ refreshedAt: new Date(now.getTime() - STALE_MS - 1).toISOString() });
    const claim = join(dir, `.lock.takeover-${(await fsp.stat(lockPath)).ino}`);
    await fsp.link(lockPath, claim);
    await expect(fileLock().acquire({ timeoutMs: 100 })).rejects.toThrow(LockError);
    now = new Date(Date.now() + STALE_MS + 1);
    const lease = await fileLock().acquire({ timeoutMs: 0 });
    expect(await fsp.readdir(dir)).toEqual(['lock']);
    await lease.release();
    expect(logger.records.map((record) => record.message)).toEqual(
      expect.arrayContaining(['Removed a takeover claim left by a crashed process', 'Took over a stale lock']),
    );
  });

  test('release() leaves a lock that another process took over, and the lease stops refreshing it', async () => {
    const lease = await fileLock({ refreshMs: 20 }).acquire();
    await writeHolder({ pid: 999_999, hostname: 'other-host' });
    await sleep(60);
    await lease.release();
    expect(await readHolder()).toMatchObject({ pid: 999_999, hostname: 'other-host' });
    expect(logger.records.map((record) => record.message)).toEqual(
      expect.arrayContaining([
        'Lost the lock: another process took it over',
        'Left the lock file alone: another process took it over',
      ]),
    );
  });

  test('acquire() in this process never takes over a lease of this process, even one whose refreshedAt looks stale', async () => {
    const lease = await fileLock({ refreshMs: 60_000 }).acquire();
    now = new Date(now.getTime() + 10 * STALE_MS);
    await expect(fileLock().acquire({ timeoutMs: 100 })).rejects.toThrow(LockError);
    await lease.release();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('acquire() by 10 concurrent callers in one process hands the lock out one at a time, in call order, without polling', async () => {
    const started = Date.now();
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    const worker = async (n: number): Promise<void> => {
      // A poll interval of 5 s: the handoff to the next caller in line must not wait for it.
      const lease = await fileLock({ pollMs: 5000 }).acquire({ timeoutMs: 20_000 });
      active += 1;
      maxActive = Math.max(maxActive, active);
      order.push(n);
      await sleep(5);
      active -= 1;
      await lease.release();
    };
    await Promise.all(Array.from({ length: 10 }, (_, n) => worker(n)));
    expect(maxActive).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test("acquire() by 5 processes racing to take over a dead holder's lock never overlaps", async () => {
    const dead = await holdLock();
    const exited = new Promise((done) => dead.on('exit', done));
    dead.kill('SIGKILL');
    await exited;
    const log = join(dir, 'log');
    const go = join(dir, 'go');
    const contenders = await Promise.all(
      Array.from({ length: 5 }, () =>
        startChild(['--import', 'tsx', join(FIXTURES, 'contend.ts'), lockPath, log, go, '4']),
      ),
    );
    const codes = contenders.map((child) => new Promise((done) => child.on('exit', done)));
    await fsp.writeFile(go, '');
    expect(await Promise.all(codes)).toEqual([0, 0, 0, 0, 0]);
    const lines = (await fsp.readFile(log, 'utf8')).trim().split('\n');
    const pairs = Array.from({ length: lines.length / 2 }, (_, i) => [lines[2 * i], lines[2 * i + 1]]);
    expect(lines).toHaveLength(40);
    expect(
      pairs.filter(([start, end]) => !(start!.endsWith(' start') && end === start!.replace(' start', ' end'))),
    ).toEqual([]);
    expect(await fsp.readdir(dir)).toEqual(expect.not.arrayContaining(['lock']));
  }, 30_000);
});

describe('MemoryLocks', () => {
  test('MemoryLocks.acquire() queues callers and release() is idempotent', async () => {
    const locks = new MemoryLocks();
    const first = await locks.acquire('home');
    let waited = 0;
    const second = locks.acquire('home', { onWait: () => (waited += 1) });
    await sleep(10);
    expect(locks.isHeld('home')).toBe(true);
    await first.release();
    await first.release();
    const lease = await second;
    expect(waited).toBe(1);
    await lease.release();
    expect(locks.isHeld('home')).toBe(false);
  });

  test('MemoryLocks.acquire() times out with a LockError naming the holder and lets later callers in', async () => {
    const locks = new MemoryLocks({ command: 'acme renew' });
    const first = await locks.acquire('home');
    await expect(locks.acquire('home', { timeoutMs: 20 })).rejects.toThrow(
      new RegExp(
        `^Cannot take the lock "memory:home": held by pid ${process.pid} on host memory since \\S+ \\(running "acme renew"\\); waited 0.02 s; retry later or raise --lock-timeout$`,
      ),
    );
    await first.release();
    await (await locks.acquire('home', { timeoutMs: 0 })).release();
    expect(locks.isHeld('home')).toBe(false);
  });
});

describe('FileLock on a new home', () => {
  test('acquire() creates the missing home directory with mode 0700', async () => {
    const { mkdtemp, rm, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileLock } = await import('../../../src/storage');
    const { systemClock } = await import('../../../src/clock');
    const { CapturingLogger } = await import('../../../src/log');
    const base = await mkdtemp(join(tmpdir(), 'haproxy-acme-newhome-'));
    try {
      const home = join(base, 'not', 'yet');
      const lease = await new FileLock({
        path: join(home, 'lock'),
        clock: systemClock,
        logger: new CapturingLogger(),
      }).acquire({ timeoutMs: 1000 });
      expect((await stat(home)).mode & 0o777).toBe(0o700);
      await lease.release();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
