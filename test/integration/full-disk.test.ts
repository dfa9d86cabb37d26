/**
 * A full disk: `--home` is a small tmpfs (mount -t tmpfs, we run as root),
 * filled so that the renewal's certificate write fails with ENOSPC. The run must fail cleanly:
 * exit 1, an error naming the path and "no space left", the old certificate intact on disk and
 * in HAProxy, no temp file left; once space is freed, the next run renews, from the certificate
 * the CA issued the first time (kept under issued/) without a new order. Real pebble + HAProxy.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm, statfs, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servedSerial, startPeers, type Peers } from '../peers';
import { checkHome, currentSerial, normaliseSerial, snapshotCertificate } from './_support/crashHome';
import { runAcme } from './_support/runAcme';

const execFileAsync = promisify(execFile);
const NAME = `disk-${process.pid}.example.test`;
/** Room for the certificate and account (about 20 files of one 4 KiB page each) with margin. */
const TMPFS_BYTES = 512 * 1024;
/** Pages left free: the lock (1) and two version files fit, the third one does not. */
const FREE_PAGES = 3;
const PAGE = 4096;

/** Fills the file system of `dir` until `keepBytes` are left free, with one file; returns its path. */
async function fill(dir: string, keepBytes: number): Promise<string> {
  const path = join(dir, 'filler');
  const { bavail, bsize } = await statfs(dir);
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.write(Buffer.alloc(Math.max(0, bavail * bsize - keepBytes)));
  } finally {
    await handle.close();
  }
  return path;
}

/** Every entry under `dir` whose name is one of our temp names. */
async function temps(dir: string): Promise<string[]> {
  const all = (await readdir(dir, { recursive: true })) as string[];
  return all.filter((p) => /(^|\/)\.[^/]+\.tmp-[0-9a-f-]+$/.test(p));
}

describe('a full --home disk', () => {
  let peers: Peers;
  let work: string;
  let home: string;
  let mounted = false;
  let common: string[];

  beforeAll(async () => {
    peers = await startPeers();
    work = await mkdtemp(join(tmpdir(), 'haproxy-acme-full-disk-'));
    home = join(work, 'home');
    await execFileAsync('mkdir', ['-m', '0700', home]);
    try {
      await execFileAsync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'tmpfs', home]);
    } catch (error) {
      throw new Error(
        `Cannot mount a ${TMPFS_BYTES}-byte tmpfs on "${home}" for the full-disk test: ${(error as Error).message}; it needs root (CAP_SYS_ADMIN)`,
      );
    }
    mounted = true;
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
      '--json',
    ];
    const issued = await runAcme(['issue', '-d', NAME, ...common]);
    expect({ code: issued.code, stderr: issued.code === 0 ? '' : issued.stderr }).toEqual({ code: 0, stderr: '' });
  });

  afterAll(async () => {
    if (mounted) await execFileAsync('umount', [home]).catch(() => execFileAsync('umount', ['-l', home]));
    await peers?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('acme renew --force on a full disk exits 1 naming the path and "no space left", keeps the old certificate on disk and in HAProxy, and leaves no temp file; the next run after freeing space renews from the kept certificate', async () => {
    const before = new Map([[NAME, await snapshotCertificate(home, NAME)]]);
    const oldSerial = await currentSerial(home, NAME);
    const filler = await fill(home, FREE_PAGES * PAGE);

    const full = await runAcme(['renew', '--force', ...common]);

    expect(full.code).toBe(1);
    const outcome = JSON.parse(full.stdout).certificates[0] as { error: string };
    // The certificate the CA issued fits (one page): it is kept, and the next run finishes from it.
    const kept = join(home, 'issued', `${NAME}.json`);
    expect(outcome.error).toBe(
      `Cannot finish "${NAME}" after the CA issued it: ` +
        `Cannot write certificate "${NAME}" to "${join(home, 'certificates', '.versions', NAME)}": ENOSPC: no space left on device, write; ` +
        `the certificate and its key are kept in "${kept}": fix the cause, then run "acme issue" or "acme renew" again to finish from it without a new order`,
    );
    expect(await checkHome(home, { before, settled: false })).toEqual([]);
    expect(await currentSerial(home, NAME)).toBe(oldSerial);
    expect((await snapshotCertificate(home, NAME)).bundle).toBe(before.get(NAME)!.bundle);
    expect(normaliseSerial(await servedSerial(peers.haproxyHttpsPort, NAME))).toBe(oldSerial);
    expect(await temps(home)).toEqual([]);

    await unlink(filler);
    const freed = await runAcme(['renew', '--force', ...common]);

    expect({ code: freed.code, stderr: freed.code === 0 ? '' : freed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(freed.stdout).certificates[0]).toMatchObject({
      decision: { reason: 'kept' },
      renewed: { resumed: true },
    });
    const newSerial = await currentSerial(home, NAME);
    expect(newSerial).not.toBe(oldSerial);
    expect(normaliseSerial(await servedSerial(peers.haproxyHttpsPort, NAME))).toBe(newSerial);
    expect(await temps(home)).toEqual([]);
  });

  test('acme renew --force on a disk with no page left fails to take the lock, exit 1, naming the lock file and "no space left"', async () => {
    const oldSerial = await currentSerial(home, NAME);
    const filler = await fill(home, 0);
    try {
      const full = await runAcme(['renew', '--force', ...common]);
      expect(full.code).toBe(1);
      expect(full.stderr).toContain(`Cannot take the lock "${join(home, 'lock')}": `);
      expect(full.stderr).toContain('ENOSPC: no space left on device');
      expect(await currentSerial(home, NAME)).toBe(oldSerial);
      expect(await temps(home)).toEqual([]);
    } finally {
      await unlink(filler);
    }
  });
});
