/** FileIssuedCertificateStore: what the CA issued, kept under `<home>/issued/` until it is stored. */
import * as fsp from 'node:fs/promises';
import { z } from 'zod';
import { StorageError } from '../../errors';
import type { IssuedCertificate, IssuedCertificateStore } from '../_issued';
import { ensureDir, ioError, readTextFile, writeFileAtomic } from './_atomic';
import { issuedDir, issuedPath } from './paths';

const issuedSchema = z.object({
  name: z.string().min(1),
  domains: z.array(z.string().min(1)).min(1),
  keyType: z.string().min(1),
  profile: z.string().min(1).optional(),
  directoryUrl: z.string().min(1),
  accountUrl: z.string().min(1),
  downloadedAt: z.iso.datetime(),
  fullchainPem: z.string(),
  keyPem: z.string().min(1),
});

/** `<home>/issued/<name>.json`, mode 0600 in a 0700 directory, replaced atomically. */
export class FileIssuedCertificateStore implements IssuedCertificateStore {
  constructor(private readonly options: { home: string }) {}

  /** @throws StorageError STORAGE_IO; ConfigError for an unsafe name */
  async keep(issued: IssuedCertificate): Promise<string> {
    const path = this.path(issued.name);
    await ensureDir(issuedDir(this.options.home));
    await writeFileAtomic(path, `${JSON.stringify(issuedSchema.parse(issued), null, 2)}\n`, { mode: 0o600 });
    return path;
  }

  /** @throws StorageError STORAGE_CORRUPT, STORAGE_IO; ConfigError for an unsafe name */
  async load(name: string): Promise<IssuedCertificate | undefined> {
    const path = this.path(name);
    let text: string;
    try {
      // Asked for every certificate of a renewal pass, and almost always missing: the lean reader.
      text = await readTextFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read', path, error);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw corrupt(path, 'it is not JSON', error);
    }
    const result = issuedSchema.safeParse(data);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw corrupt(
        path,
        `field "${issue?.path.join('.') || '(root)'}" is invalid (${issue?.message ?? 'unknown'})`,
        result.error,
      );
    }
    return result.data;
  }

  /** @throws StorageError STORAGE_IO; ConfigError for an unsafe name */
  async discard(name: string): Promise<void> {
    const path = this.path(name);
    await fsp.rm(path, { force: true }).catch((error: unknown) => {
      throw ioError('remove', path, error);
    });
  }

  /** Names of the kept documents, sorted; temp files (dot names) skipped. */
  async listNames(): Promise<string[]> {
    const dir = issuedDir(this.options.home);
    let entries: string[];
    try {
      entries = await fsp.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError('list', dir, error);
    }
    return entries
      .filter((entry) => !entry.startsWith('.') && entry.endsWith('.json'))
      .map((entry) => entry.slice(0, -'.json'.length))
      .sort();
  }

  /** @throws ConfigError for an unsafe name */
  path(name: string): string {
    return issuedPath(this.options.home, name);
  }
}

function corrupt(path: string, detail: string, cause: unknown): StorageError {
  return new StorageError(
    'STORAGE_CORRUPT',
    `Cannot read the kept certificate "${path}": ${detail}; move it aside to order a new certificate`,
    { path, cause },
  );
}
