/** FileRenewalStateStore: `<home>/renewal/<name>.json`, the state and its revision in one file. */
import { z } from 'zod';
import {
  checkExpectedRevision,
  renewalStateSchema,
  revisionConflict,
  UNCOUNTED_REVISION,
  type RenewalState,
  type RenewalStateStore,
  type Revisioned,
  type RevisionedSaveOptions,
} from '../_renewal-state';
import { JsonStateFiles } from './_state-file';

/**
 * The file: the state's fields plus `revision`. A file without `revision` was written by a release
 * that did not count saves: it reads as revision 1 (saved, at least once), so that a writer that
 * found no file at all (revision 0) cannot overwrite it.
 */
const renewalFileSchema = renewalStateSchema.extend({ revision: z.number().int().min(1).optional() });

/** `<home>/renewal/<name>.json`, mode 0600, replaced atomically. */
export class FileRenewalStateStore implements RenewalStateStore {
  private readonly files: JsonStateFiles<z.infer<typeof renewalFileSchema>>;

  constructor(options: { home: string }) {
    this.files = new JsonStateFiles({ home: options.home, folder: 'renewal', schema: renewalFileSchema });
  }

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a renewal state */
  async load(name: string): Promise<Revisioned<RenewalState>> {
    const stored = await this.files.load(name);
    if (stored === undefined) return { value: {}, revision: 0 };
    const { revision, ...value } = stored;
    return { value, revision: revision ?? UNCOUNTED_REVISION };
  }

  /** @throws StorageError STORAGE_CONFLICT, STORAGE_CORRUPT, STORAGE_IO */
  async save(name: string, value: RenewalState, options: RevisionedSaveOptions): Promise<number> {
    const path = this.files.pathOf(name);
    checkExpectedRevision(options.expectedRevision, path);
    return this.files.update(
      name,
      (current) => {
        const revision = current === undefined ? 0 : (current.revision ?? UNCOUNTED_REVISION);
        if (revision !== options.expectedRevision) throw revisionConflict(path, options.expectedRevision, revision);
        return { document: { ...value, revision: revision + 1 }, result: revision + 1 };
      },
      { signal: options.signal },
    );
  }
}
