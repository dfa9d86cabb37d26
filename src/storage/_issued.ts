import * as fsp from 'node:fs/promises';
import { z } from 'zod';
import { StorageError } from '../errors';
import { ensureDir, ioError, writeFileAtomic } from './_atomic';
import { issuedDir, issuedPath } from './paths';

/**
 * A certificate exactly as the CA issued it, with its key and what was asked for: kept from the
 * moment it is downloaded until it is stored, so that no later failure (parsing, storage, a
 * killed run) makes the next run order it again.
 */
export interface IssuedCertificate {
  /** The certificate name, sanitised (see sanitiseName). */
  name: string;
  /** The names that were requested, in request order. */
  domains: string[];
  /** The key type that was requested: `ec256`, `rsa2048`, … */
  keyType: string;
  /** The ACME profile that was requested; absent: the CA's default. */
  profile?: string;
  /** The ACME directory that issued it. */
  directoryUrl: string;
  /** The account that ordered it. */
  accountUrl: string;
  /** ISO 8601 UTC. */
  downloadedAt: string;
  /** The full chain as the CA sent it, byte for byte (it may not even parse). */
  fullchainPem: string;
  /** The certificate's private key. Never logged. */
  keyPem: string;
}

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

/**
 * Where issued but not yet stored certificates wait. Contract: keep() MUST be durable and atomic
 * (a reader sees the whole document or none) and the document MUST be readable only by us, since
 * it holds a private key; discard() of a name with nothing kept MUST succeed.
 */
export interface IssuedCertificateStore {
  /**
   * Keeps (or replaces) what the CA issued for `issued.name`; resolves with where it is kept.
   * @throws StorageError STORAGE_IO
   */
  keep(issued: IssuedCertificate): Promise<string>;
  /**
   * What is kept for `name`, or undefined when nothing is.
   * @throws StorageError STORAGE_CORRUPT when the kept document cannot be read back; STORAGE_IO
   */
  load(name: string): Promise<IssuedCertificate | undefined>;
  /** Forgets what is kept for `name`. @throws StorageError STORAGE_IO */
  discard(name: string): Promise<void>;
  /** Names with something kept, sorted. */
  listNames(): Promise<string[]>;
  /** Where the certificate of `name` is (or would be) kept, for messages. */
  path(name: string): string;
}

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
      text = await fsp.readFile(path, 'utf8');
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
