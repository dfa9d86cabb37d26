import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { StorageError } from '../errors';
import { writeFileAtomic } from './_atomic';

/**
 * HAProxy's on-disk list of certificates for a `bind … crt-list <file>` or `crt <directory>`:
 * runtime `add ssl crt-list` changes are lost on reload (HAProxy never writes its files), so the
 * file must agree with what was added at runtime. Contract: ensureEntry() MUST be written to disk
 * before HAProxy is told, and MUST NOT duplicate a line.
 */
export interface CrtList {
  /** The path HAProxy knows the list by (the crt-list file, or the crt directory). */
  readonly path: string;
  /** Makes sure `certificatePath` is listed; returns true when it had to add it. */
  ensureEntry(certificatePath: string): Promise<boolean>;
  /** Whether `certificatePath` is listed (a crt directory lists every bundle inside it). */
  hasEntry(certificatePath: string): Promise<boolean>;
  /**
   * Makes sure `certificatePath` is no longer listed (every line naming it); returns true when it
   * removed a line. MUST be called only AFTER HAProxy dropped the entry at runtime, and BEFORE the
   * file is moved away, so that a reload never loads a line whose file is missing.
   */
  removeEntry(certificatePath: string): Promise<boolean>;
}

/** The first field of each crt-list line (comments and blank lines skipped). */
export function listedCertificates(crtListText: string): string[] {
  return crtListText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/)[0]!);
}

/** A crt-list file (one certificate per line) or a crt directory (every file in it is loaded). */
export class FileCrtList implements CrtList {
  constructor(readonly path: string) {}

  /** @throws StorageError when the list cannot be read or written, or a directory does not contain the bundle */
  async ensureEntry(certificatePath: string): Promise<boolean> {
    const info = await this.statList();
    if (info.isDirectory()) return this.ensureInDirectory(certificatePath);
    const text = await readFile(this.path, 'utf8');
    if (listedCertificates(text).includes(certificatePath)) return false;
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    // Keep the file's mode: HAProxy's user must still be able to read it.
    await writeFileAtomic(this.path, `${text}${separator}${certificatePath}\n`, { mode: info.mode & 0o777 });
    return true;
  }

  /**
   * Whether the file names `certificatePath`, or, for a crt directory, whether the bundle is in it.
   * @throws StorageError when the list cannot be read
   */
  async hasEntry(certificatePath: string): Promise<boolean> {
    const info = await this.statList();
    if (info.isDirectory()) {
      const inside = relative(this.path, certificatePath);
      return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
    }
    const text = await readFile(this.path, 'utf8').catch((error: unknown) => {
      throw new StorageError('STORAGE_IO', `Cannot read HAProxy crt-list "${this.path}": ${(error as Error).message}`, { path: this.path, cause: error });
    });
    return listedCertificates(text).includes(certificatePath);
  }

  /**
   * Rewrites the file without the lines naming `certificatePath`, atomically and with its mode
   * kept; comments and other lines stay as they are. A `crt` directory has no lines: moving the
   * bundle out of it is the removal, so this returns false.
   * @throws StorageError when the list cannot be read or written
   */
  async removeEntry(certificatePath: string): Promise<boolean> {
    const info = await this.statList();
    if (info.isDirectory()) return false;
    const text = await readFile(this.path, 'utf8').catch((error: unknown) => {
      throw new StorageError('STORAGE_IO', `Cannot read HAProxy crt-list "${this.path}": ${(error as Error).message}`, { path: this.path, cause: error });
    });
    const lines = text.split('\n');
    const kept = lines.filter((line) => listedCertificates(line)[0] !== certificatePath);
    if (kept.length === lines.length) return false;
    await writeFileAtomic(this.path, kept.join('\n'), { mode: info.mode & 0o777 });
    return true;
  }

  private async statList(): Promise<Stats> {
    try {
      return await stat(this.path);
    } catch (error) {
      throw new StorageError('STORAGE_IO', `Cannot read HAProxy crt-list "${this.path}": ${(error as Error).message}`, { path: this.path, cause: error });
    }
  }

  private async ensureInDirectory(certificatePath: string): Promise<boolean> {
    const inside = relative(this.path, certificatePath);
    if (inside.startsWith('..') || isAbsolute(inside) || inside.includes('/')) {
      throw new StorageError(
        'STORAGE_IO',
        `Cannot use crt directory "${this.path}": the bundle "${certificatePath}" is not in it; point HAProxy's crt at the bundles directory (<home>/haproxy) or use a crt-list file`,
        { path: this.path },
      );
    }
    return false;
  }
}
