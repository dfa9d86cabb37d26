import * as fsp from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log/logger';
import { FileCertificateStore, FileLock, type FileSystem, type SaveCertificateInput } from '../../../src/storage';
import { pruneVersions, recoverHome } from '../../../src/storage/file/_leftovers';
import { certs } from '../../fixtures/certs';

const T0 = new Date('2026-11-27T10:00:00.000Z');
const NAME = 'example.com';

let home: string;
let logger: CapturingLogger;

beforeEach(async () => {
  home = join(await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-leftovers-')), 'home');
  logger = new CapturingLogger();
});

afterEach(async () => {
  await fsp.rm(join(home, '..'), { recursive: true, force: true });
});

function store(options: { fs?: FileSystem; at?: Date } = {}): FileCertificateStore {
  let n = 0;
  return new FileCertificateStore({
    home,
    clock: fixedClock(options.at ?? T0),
    logger,
    fs: options.fs,
    random: () => `${(n += 1)}`.padStart(12, 'a'),
  });
}

function input(leaf: string, key: string): SaveCertificateInput {
  return {
    name: NAME,
    certPem: leaf,
    chainPem: certs.ecIntermediate,
    keyPem: key,
    meta: { domains: ['example.com'], directoryUrl: 'https://ca.test/dir' },
  };
}

/** Every path under home, relative, sorted (symlinks not followed). */
async function tree(dir = home, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    out.push(`${prefix}${entry.name}`);
    if (entry.isDirectory()) out.push(...(await tree(join(dir, entry.name), `${prefix}${entry.name}/`)));
  }
  return out.sort();
}

async function put(path: string, text: string): Promise<void> {
  await fsp.mkdir(join(home, path, '..'), { recursive: true });
  await fsp.writeFile(join(home, path), text);
}

describe('recoverHome()', () => {
  test('recoverHome() removes every temp a killed writer left and keeps everything else', async () => {
    await store().saveCertificate(input(certs.ecLeaf, certs.ecLeafKey));
    const kept = await tree();
    const temps = [
      `certificates/.${NAME}.tmp-0123456789ab`,
      `certificates/.versions/${NAME}/.20261127T100000Z-87654321FEDCBA98.tmp-0123456789ab/cert.pem`,
      `renewal/.${NAME}.json.tmp-0123456789ab`,
      `deploy/.${NAME}.json.tmp-0123456789ab`,
      'accounts/ca.test_443/dir/.account.key.pem.tmp-0123456789ab',
      'accounts/ca.test_443/dir/.account.json.tmp-0123456789ab',
    ];
    for (const temp of temps) await put(temp, 'partial');
    await put('accounts/ca.test_443/dir/.account.key.pem.next', 'a staged rollover key is not a temp');
    await put('renewal/.notes', 'not ours');
    // Bundles are not the store's: FileLocalBundles.reconcile() finishes those.
    await put(`haproxy/.${NAME}.pem.tmp-0123456789ab`, 'partial');

    const recovery = await recoverHome(home, { fs: fsp, logger });

    expect(recovery.removed.map((p) => p.slice(home.length + 1)).sort()).toEqual(
      [...temps.map((t) => t.replace(/\/cert\.pem$/, ''))].sort(),
    );
    expect(await tree()).toEqual(
      [
        ...kept,
        'accounts',
        'accounts/ca.test_443',
        'accounts/ca.test_443/dir',
        'accounts/ca.test_443/dir/.account.key.pem.next',
        'deploy',
        'haproxy',
        `haproxy/.${NAME}.pem.tmp-0123456789ab`,
        'renewal',
        'renewal/.notes',
      ].sort(),
    );
  });

  test("recoverHome() removes a killed run's layout.json temp and certificate lock leftovers, and keeps the locks and the home lock's temps", async () => {
    await put('layout.json', '{"layout": 2}\n');
    await put('.layout.json.tmp-0a1b2c3d4e5f', '{"lay');
    await put('.lock.tmp-4242-0a1b2c3d4e5f', '{}');
    await put('locks/certificate/site.lock', '{}');
    await put('locks/certificate/.site.lock.tmp-4242-0a1b2c3d4e5f', '{}');
    await put('locks/certificate/.site.lock.takeover-1234', '{}');
    await put('locks/certificate/..site.lock.takeover-1234.tmp-4242-0a1b2c3d4e5f', '{}');
    await put('locks/certificate/notes.txt', 'kept');

    await recoverHome(home, { fs: fsp, logger });

    expect(await tree()).toEqual([
      '.lock.tmp-4242-0a1b2c3d4e5f',
      'layout.json',
      'locks',
      'locks/certificate',
      'locks/certificate/notes.txt',
      'locks/certificate/site.lock',
    ]);
  });

  test('recoverHome() of a home that does not exist does nothing and does not throw', async () => {
    await expect(recoverHome(join(home, 'missing'), { fs: fsp, logger })).resolves.toEqual({ removed: [] });
  });
});

describe('FileCertificateStore and a save killed part-way', () => {
  test('saveCertificate() killed while writing the version: the link stays on the old one and recover() drops the temp', async () => {
    await store().saveCertificate(input(certs.ecLeaf, certs.ecLeafKey));
    // A write that never returns is the process frozen (then killed) at that step: the rename of
    // the finished temp version. Recovery runs once the writer is frozen there, not while it still
    // writes the temp's files (that would be two live writers, which the home lock prevents).
    let frozenAtRename: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (frozenAtRename = resolve));
    const frozen: FileSystem = {
      ...fsp,
      rename: async (from, to) => {
        if (!String(to).includes('T100001Z')) return fsp.rename(from, to);
        frozenAtRename();
        return new Promise<void>(() => undefined);
      },
    };
    void store({ fs: frozen, at: new Date(T0.getTime() + 1000) }).saveCertificate(
      input(certs.ecLeaf2, certs.ecLeaf2Key),
    );
    const versions = join(home, 'certificates', '.versions', NAME);
    await reached;

    const next = store();
    const recovery = await next.recover();

    expect(recovery.removed).toEqual([expect.stringContaining(`${versions}/.20261127T100001Z-`)]);
    expect((await next.loadCertificate(NAME))?.certPem).toBe(certs.ecLeaf);
    expect(await fsp.readdir(versions)).toEqual(['20261127T100000Z-87654321FEDCBA98']);
  });

  test('recover() scans once per store: a temp written later by the same live process is not touched', async () => {
    const once = store();
    await once.recover();
    await put(`renewal/.${NAME}.json.tmp-0123456789ab`, 'being written by this process');

    expect(await once.recover()).toEqual({ removed: [] });
    expect(await tree()).toContain(`renewal/.${NAME}.json.tmp-0123456789ab`);
  });
});

describe('pruneVersions()', () => {
  test('pruneVersions() keeps the newest versions and the current one, and skips temp entries', async () => {
    const parent = join(home, 'v');
    for (const v of [
      '20260101T000000Z-01',
      '20260201T000000Z-02',
      '20260301T000000Z-03',
      '20260401T000000Z-04',
      '.20260501T000000Z-05.tmp-0123456789ab',
    ]) {
      await fsp.mkdir(join(parent, v), { recursive: true });
    }
    await pruneVersions(parent, { current: '20260101T000000Z-01', keep: 2, fs: fsp, logger });
    expect((await fsp.readdir(parent)).sort()).toEqual([
      '.20260501T000000Z-05.tmp-0123456789ab',
      '20260101T000000Z-01',
      '20260301T000000Z-03',
      '20260401T000000Z-04',
    ]);
  });
});

describe('FileLock and a killed holder', () => {
  test('acquire() removes the temp lock files of dead processes and keeps those of live contenders', async () => {
    await fsp.mkdir(home, { recursive: true });
    // Killed before its write: empty. The pid in the name tells whose it was.
    await fsp.writeFile(join(home, '.lock.tmp-4242-0123456789ab'), '');
    await fsp.writeFile(join(home, '.lock.tmp-4343-ba9876543210'), '');
    await fsp.writeFile(join(home, '..lock.takeover-77.tmp-4242-0123456789ab'), '');
    const alive = (pid: number): boolean => pid === process.pid || pid === 4343;
    const lease = await new FileLock({
      path: join(home, 'lock'),
      clock: fixedClock(T0),
      logger,
      isProcessAlive: alive,
    }).acquire({ timeoutMs: 1000 });
    try {
      expect((await fsp.readdir(home)).sort()).toEqual(['.lock.tmp-4343-ba9876543210', 'lock']);
      expect(JSON.parse(await fsp.readFile(join(home, 'lock'), 'utf8'))).toMatchObject({
        pid: process.pid,
        acquiredAt: T0.toISOString(),
      });
    } finally {
      await lease.release();
    }
  });

  /** A stale lock of dead pid 4242 with a takeover claim by `claimer`; 4444 is the only live one. */
  async function claimedStaleLock(claimer: number): Promise<FileLock> {
    await fsp.mkdir(home, { recursive: true });
    const at = new Date().toISOString();
    const holder = (pid: number): string =>
      JSON.stringify({ pid, hostname: hostname(), acquiredAt: at, refreshedAt: at });
    await fsp.writeFile(join(home, 'lock'), holder(4242));
    const { ino } = await fsp.stat(join(home, 'lock'));
    await fsp.writeFile(join(home, `.lock.takeover-${ino}`), holder(claimer));
    const alive = (pid: number): boolean => pid === process.pid || pid === 4444;
    return new FileLock({
      path: join(home, 'lock'),
      clock: { now: () => new Date() },
      logger,
      isProcessAlive: alive,
      pollMs: 20,
    });
  }

  test('acquire() removes at once a takeover claim whose claimer is dead and takes over the stale lock', async () => {
    const lease = await (await claimedStaleLock(4343)).acquire({ timeoutMs: 2000 });
    const entries = (await fsp.readdir(home)).sort();
    await lease.release();
    expect(entries).toEqual(['lock']);
  });

  test('acquire() respects a takeover claim whose claimer is alive, and times out', async () => {
    await expect((await claimedStaleLock(4444)).acquire({ timeoutMs: 300 })).rejects.toThrow(
      `Cannot take the lock "${join(home, 'lock')}": held by pid 4242`,
    );
  });
});
