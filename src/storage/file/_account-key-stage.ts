/**
 * The account key of a rollover in flight (RFC 8555 §7.3.5). Once the CA accepted a key change it
 * knows the account ONLY by the new key, so the new key is written before the request
 * (`stage`), and made current after it (`promote`). A crash in between leaves both keys on
 * disk; the next `acme account rollover` asks the CA which one it knows and finishes or discards.
 * Files, next to `account.key.pem` in the account directory (see file/paths.ts accountDir):
 * `.account.key.pem.next` (the staged key) and `.account.key.pem.old` (the previous key, kept
 * only until the new one is durably in place). Dot names: listings and HAProxy skip them.
 */
import { join } from 'node:path';
import { StorageError } from '../../errors';
import type { AccountKeyStage } from '../_account-key-stage';
import { accountDir } from './paths';
import { ioError, nodeFileSystem, syncDir, writeFileAtomic, type FileSystem } from './_atomic';

const KEY_FILE = 'account.key.pem';
const STAGED_FILE = '.account.key.pem.next';
const BACKUP_FILE = '.account.key.pem.old';

/** The staged key under `<home>/accounts/…/.account.key.pem.next`. */
export class FileAccountKeyStage implements AccountKeyStage {
  private readonly fs: FileSystem;

  constructor(private readonly options: { home: string; fs?: FileSystem }) {
    this.fs = options.fs ?? nodeFileSystem;
  }

  /** @throws StorageError STORAGE_IO */
  async stage(directoryUrl: string, keyPem: string): Promise<void> {
    await writeFileAtomic(join(this.dir(directoryUrl), STAGED_FILE), keyPem, { fs: this.fs, mode: 0o600 });
  }

  /** @throws StorageError STORAGE_IO */
  async staged(directoryUrl: string): Promise<string | undefined> {
    return this.read(join(this.dir(directoryUrl), STAGED_FILE));
  }

  /** Backs the current key up, renames the staged key over it, fsyncs, drops the backup. @throws StorageError */
  async promote(directoryUrl: string): Promise<void> {
    const dir = this.dir(directoryUrl);
    const [staged, current] = [join(dir, STAGED_FILE), join(dir, KEY_FILE)];
    if ((await this.read(staged)) === undefined) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot promote the staged account key in "${dir}": there is none; run "acme account rollover" again`,
        { path: staged },
      );
    }
    const previous = await this.read(current);
    if (previous === undefined) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot promote the staged account key in "${dir}": "${current}" is missing`,
        { path: current },
      );
    }
    const backup = join(dir, BACKUP_FILE);
    await writeFileAtomic(backup, previous, { fs: this.fs, mode: 0o600 });
    await this.fs.rename(staged, current).catch((error: unknown) => {
      throw ioError(`rename "${staged}" to`, current, error);
    });
    await syncDir(dir, { fs: this.fs });
    await this.fs.unlink(backup).catch((error: unknown) => {
      throw ioError('delete', backup, error);
    });
  }

  /** @throws StorageError STORAGE_IO */
  async discard(directoryUrl: string): Promise<void> {
    const staged = join(this.dir(directoryUrl), STAGED_FILE);
    await this.fs.unlink(staged).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw ioError('delete', staged, error);
    });
  }

  private dir(directoryUrl: string): string {
    return accountDir(this.options.home, directoryUrl);
  }

  private async read(path: string): Promise<string | undefined> {
    try {
      return await this.fs.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read', path, error);
    }
  }
}
