import { StorageError } from '../../errors';
import type { AccountKeyStage } from '../_account-key-stage';
import type { MemoryCertificateStore } from './_store';

/** In-memory AccountKeyStage over a MemoryCertificateStore, for tests. */
export class MemoryAccountKeyStage implements AccountKeyStage {
  readonly keys = new Map<string, string>();

  constructor(private readonly store: MemoryCertificateStore) {}

  async stage(directoryUrl: string, keyPem: string): Promise<void> {
    this.keys.set(directoryUrl, keyPem);
  }

  async staged(directoryUrl: string): Promise<string | undefined> {
    return this.keys.get(directoryUrl);
  }

  /** @throws StorageError STORAGE_CORRUPT when nothing is staged or there is no account */
  async promote(directoryUrl: string): Promise<void> {
    const keyPem = this.keys.get(directoryUrl);
    const account = this.store.accounts.get(directoryUrl);
    if (keyPem === undefined || account === undefined) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot promote the staged account key of "${directoryUrl}": there is none`,
        { path: directoryUrl },
      );
    }
    this.store.accounts.set(directoryUrl, { ...account, keyPem });
    this.keys.delete(directoryUrl);
  }

  async discard(directoryUrl: string): Promise<void> {
    this.keys.delete(directoryUrl);
  }
}
