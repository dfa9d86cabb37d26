import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import { FileLocks, MemoryLocks, lockPath, type LockName } from '../../../src/storage';
import { locksContract } from '../../contract/locksContract';

const STALE_MS = 300;

/** Lock file content of another holder; `refreshedAt` in the future keeps it live for the test. */
function otherHolder(refreshedAt: Date): string {
  const at = refreshedAt.toISOString();
  return JSON.stringify({ pid: 999_999, hostname: 'other-host', acquiredAt: at, refreshedAt: at });
}

locksContract('FileLocks', async () => {
  const home = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-locks-'));
  const path = (name: LockName): string => lockPath(home, name);
  return {
    locks: new FileLocks({
      home,
      clock: systemClock,
      logger: new CapturingLogger(),
      staleMs: STALE_MS,
      refreshMs: 30,
      pollMs: 10,
    }),
    staleMs: STALE_MS,
    takeOver: (name) => fsp.writeFile(path(name), otherHolder(new Date(Date.now() + 3_600_000))),
    // A directory where the lock file was: every read and rewrite of it fails (EISDIR).
    breakRefresh: async (name) => {
      await fsp.unlink(path(name));
      await fsp.mkdir(path(name));
    },
    plantDeadHolder: async (name) => {
      await fsp.mkdir(join(path(name), '..'), { recursive: true });
      await fsp.writeFile(path(name), otherHolder(new Date()));
    },
    cleanup: () => fsp.rm(home, { recursive: true, force: true }),
  };
});

locksContract('MemoryLocks', async () => {
  const locks = new MemoryLocks({ staleMs: STALE_MS, refreshMs: 30, pollMs: 10 });
  return {
    locks,
    staleMs: STALE_MS,
    takeOver: async (name) => locks.takeOver(name),
    breakRefresh: async (name) => locks.failRefresh(name),
    plantDeadHolder: async (name) => locks.plantDeadHolder(name),
    cleanup: async () => undefined,
  };
});

describe('lockPath()', () => {
  test.each<[LockName, string]>([
    ['home', '/srv/acme/lock'],
    ['certificate/a.test', '/srv/acme/locks/certificate/a.test.lock'],
    ['certificate/_wildcard.a.test', '/srv/acme/locks/certificate/_wildcard.a.test.lock'],
  ])('lockPath("/srv/acme", %j) is %j', (name, path) => {
    expect(lockPath('/srv/acme', name)).toBe(path);
  });

  test.each(['certificate/../../etc/passwd', 'certificate/a/b', 'certificate/A', 'lock', 'certificate/'])(
    'lockPath() refuses %j with the exact message',
    (name) => {
      expect(() => lockPath('/srv/acme', name as LockName)).toThrow(
        `Cannot use lock name ${JSON.stringify(name)}: expected "home" or "certificate/<sanitised certificate name>"`,
      );
    },
  );
});
