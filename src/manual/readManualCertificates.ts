import { constants } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StorageError } from '../errors';
import { certificatesDir, haproxyDir } from '../storage';
import { classifyHaproxyEntry, type HaproxyDirEntry, type ManualEntryContext } from './classifyHaproxyEntry';
import {
  firstKeyBlock,
  inspectManualCertificate,
  type ManualCertificate,
  type ReadResult,
} from './inspectManualCertificate';

/** Entries of `<home>/haproxy/` looked at: our bundles (one per stored certificate) and the manual files. */
export const MAX_HAPROXY_DIR_ENTRIES = 10_000;
/** Manual certificates read, the first ones by name (HAProxy's own order); the others are listed as not inspected. */
export const MAX_MANUAL_CERTIFICATES = 100;
/** Largest certificate or key file read; a leaf, its chain and its key take a few KiB. */
export const MAX_MANUAL_FILE_BYTES = 256 * 1024;

/** What readManualCertificates() found. */
export interface ManualCertificateScan {
  /** `<home>/haproxy`. */
  directory: string;
  /** Sorted by file name, at most MAX_MANUAL_CERTIFICATES. */
  certificates: ManualCertificate[];
  /** Manual certificates past MAX_MANUAL_CERTIFICATES, not read (never served by the manual crt-list). */
  notInspected: string[];
  /** True when the directory holds more than MAX_HAPROXY_DIR_ENTRIES entries; the others were not looked at. */
  truncated: boolean;
}

/** Options of readManualCertificates(). */
export interface ReadManualOptions {
  /** Names of the stored certificates (CertificateStore.listCertificateNames()): `<name>.pem` is our bundle, not a manual one. */
  names: readonly string[];
}

// O_NONBLOCK: a FIFO swapped in after the type check cannot block the open.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'it does not exist (a dangling link?)';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENOTDIR') return 'not a directory';
  // node:fs errors can come from another realm (jest's VM), where messageOf()'s `instanceof Error` is false.
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Reads a regular file of at most MAX_MANUAL_FILE_BYTES (following links), or says why not. */
async function readBounded(path: string): Promise<ReadResult> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, READ_FLAGS);
    const info = await handle.stat();
    if (!info.isFile()) return { error: 'it is not a regular file', missing: false };
    if (info.size > MAX_MANUAL_FILE_BYTES)
      return {
        error: `it is ${info.size} bytes, more than the ${MAX_MANUAL_FILE_BYTES} a certificate file may hold`,
        missing: false,
      };
    const buffer = Buffer.alloc(MAX_MANUAL_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_MANUAL_FILE_BYTES)
      return {
        error: `it holds more than the ${MAX_MANUAL_FILE_BYTES} bytes a certificate file may hold`,
        missing: false,
      };
    return { text: buffer.subarray(0, bytesRead).toString('utf8') };
  } catch (error) {
    return { error: errnoText(error), missing: (error as NodeJS.ErrnoException).code === 'ENOENT' };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function listError(dir: string, error: unknown): StorageError {
  return new StorageError('STORAGE_IO', `Cannot list the manual certificates in "${dir}": ${errnoText(error)}`, {
    path: dir,
    cause: error,
  });
}

/** The entry names, sorted as HAProxy's scandir(alphasort) does for the C locale; at most `limit + 1`. */
async function entryNames(dir: string, limit: number): Promise<string[] | undefined> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw listError(dir, error);
  }
  const names: string[] = [];
  try {
    for await (const entry of handle) {
      names.push(entry.name);
      if (names.length > limit) break;
    }
  } catch (error) {
    throw listError(dir, error);
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function describeEntry(dir: string, name: string): Promise<HaproxyDirEntry> {
  const path = join(dir, name);
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return { name, type: 'other' };
  if (info.isFile()) return { name, type: 'file' };
  if (!info.isSymbolicLink()) return { name, type: 'other' };
  const linkTarget = await readlink(path).then(
    (target) => resolve(dir, target),
    () => undefined,
  );
  const realTarget = await realpath(path).catch(() => undefined);
  const target = await stat(path).catch(() => undefined);
  return {
    name,
    type: 'symlink',
    linkTarget,
    realTarget,
    targetType: target === undefined ? 'missing' : target.isFile() ? 'file' : 'other',
  };
}

async function withRealPath(path: string): Promise<string[]> {
  const real = await realpath(path).catch(() => undefined);
  return real === undefined || real === path ? [path] : [path, real];
}

async function inspect(path: string): Promise<ManualCertificate> {
  const file = await readBounded(path);
  const needsCompanion = 'text' in file && firstKeyBlock(file.text) === undefined;
  const companion = needsCompanion ? { path: `${path}.key`, ...(await readBounded(`${path}.key`)) } : undefined;
  return inspectManualCertificate({ path, file, ...(companion === undefined ? {} : { companion }) });
}

/**
 * Lists the manual certificates of `<home>/haproxy/` (see classifyHaproxyEntry()) and reads each:
 * names, validity, serial, the key file HAProxy would use, and the problem that would stop HAProxy
 * from loading it. A missing directory holds none. Never returns or logs key material.
 * @throws StorageError STORAGE_IO when the directory exists but cannot be listed.
 */
export async function readManualCertificates(home: string, options: ReadManualOptions): Promise<ManualCertificateScan> {
  const directory = haproxyDir(home);
  const names = await entryNames(directory, MAX_HAPROXY_DIR_ENTRIES);
  if (names === undefined) return { directory, certificates: [], notInspected: [], truncated: false };
  const truncated = names.length > MAX_HAPROXY_DIR_ENTRIES;
  const context: ManualEntryContext = {
    bundleFiles: new Set(options.names.map((name) => `${name}.pem`)),
    haproxyDirs: await withRealPath(directory),
    certificatesDirs: await withRealPath(certificatesDir(home)),
  };
  const manual: string[] = [];
  for (const name of names.slice(0, MAX_HAPROXY_DIR_ENTRIES)) {
    // Cheap name checks first: a home with 1000 bundles costs no lstat for them.
    const byName = classifyHaproxyEntry({ name, type: 'file' }, context);
    if (!byName.manual) continue;
    if (classifyHaproxyEntry(await describeEntry(directory, name), context).manual) manual.push(join(directory, name));
  }
  const certificates: ManualCertificate[] = [];
  for (const path of manual.slice(0, MAX_MANUAL_CERTIFICATES)) certificates.push(await inspect(path));
  return { directory, certificates, notInspected: manual.slice(MAX_MANUAL_CERTIFICATES), truncated };
}
