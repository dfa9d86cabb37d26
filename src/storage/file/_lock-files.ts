/**
 * Files next to a FileLock that are written complete and then link()ed into place (the lock
 * itself and takeover claims), and the cleanup of what a killed process left of them. A lock or a
 * claim created with open('wx') and then written was empty if the process was killed in between,
 * and an empty file names no holder: others had to wait staleMs (30 s) before removing it. Found by
 * test/integration/crash-safety.test.ts. Also the lock file's content as read at one moment (readSnapshot).
 */
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageError } from '../../errors';
import { ioError, randomSuffix, syncDir, writeFileDurable } from './_atomic';
import { type HolderSeen, type LockHolderInfo } from '../_lock';
import { tempName } from './paths';

/** Temp-name suffix of a lock write, `<pid>-<12 hex>`: who wrote it shows even in an empty file. */
export function lockTempSuffix(pid: number): string {
  return `${pid}-${randomSuffix()}`;
}

/**
 * Creates `target` holding `info` as JSON, complete or not at all: a temp file, then link().
 * Returns false when `target` exists. The errno of a failure is on the thrown error's `cause`.
 * @throws StorageError STORAGE_IO (writing the temp file) or the link() error
 */
export async function linkComplete(target: string, info: LockHolderInfo): Promise<boolean> {
  const temp = join(dirname(target), tempName(basename(target), lockTempSuffix(info.pid)));
  try {
    await writeFileDurable(temp, JSON.stringify(info), { mode: 0o600 });
    await fsp.link(temp, target);
    await syncDir(dirname(target));
    return true;
  } catch (error) {
    const code = error instanceof StorageError ? errnoOf(error.cause) : errnoOf(error);
    if (code === 'EEXIST') return false;
    throw error;
  } finally {
    await fsp.unlink(temp).catch(() => undefined);
  }
}

/**
 * Once the lock is held: removes the temp files of lock writes whose writer (pid in the name) is
 * dead, and every takeover claim (a claim only matters while a stale lock is at the path).
 */
export async function removeLockLeftovers(lockPath: string, isProcessAlive: (pid: number) => boolean): Promise<void> {
  const dir = dirname(lockPath);
  const base = basename(lockPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `.lock.tmp-<pid>-<hex>` (the lock's temp) and `..lock.takeover-<ino>.tmp-<pid>-<hex>` (a claim's).
  const temp = new RegExp(`^\\.(?:${base}|\\.${base}\\.takeover-\\d+)\\.tmp-(\\d+)-[0-9a-f]+$`);
  const claim = new RegExp(`^\\.${base}\\.takeover-\\d+$`);
  for (const entry of await fsp.readdir(dir).catch(() => [] as string[])) {
    const pid = Number(temp.exec(entry)?.[1]);
    const deadTemp = Number.isSafeInteger(pid) && pid > 0 && !isProcessAlive(pid);
    if (deadTemp || claim.test(entry)) await fsp.unlink(join(dir, entry)).catch(() => undefined);
  }
}

/** A lock file as read at one moment; `info` is undefined when the content is not a valid holder. */
export interface Snapshot extends HolderSeen {
  raw: string;
  ino: number;
}

/** The errno code of a Node.js system error, e.g. `ENOENT`; undefined for other values. */
export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Parses lock file content, e.g. `{"pid":4242,"hostname":"edge1","acquiredAt":"…","refreshedAt":"…"}`. */
function parseHolder(raw: string): LockHolderInfo | undefined {
  let value: Partial<Record<keyof LockHolderInfo, unknown>>;
  try {
    value = JSON.parse(raw) as typeof value;
  } catch {
    return undefined;
  }
  const { pid, hostname, acquiredAt, refreshedAt, command } = value ?? {};
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || !isText(hostname)) return undefined;
  if (!isText(acquiredAt) || !isText(refreshedAt) || Number.isNaN(Date.parse(refreshedAt))) return undefined;
  if (command !== undefined && typeof command !== 'string') return undefined;
  return { pid: pid as number, hostname, acquiredAt, refreshedAt, ...(command === undefined ? {} : { command }) };
}

/** Reads content and identity from one open handle, so both describe the same file. */
export async function readSnapshot(path: string): Promise<Snapshot | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw ioError('read the lock', path, error);
  }
  try {
    const stat = await handle.stat();
    const raw = await handle.readFile('utf8');
    return { raw, ino: stat.ino, mtimeMs: stat.mtimeMs, info: parseHolder(raw) };
  } finally {
    await handle.close();
  }
}
