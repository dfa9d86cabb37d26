import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { StorageError } from '../errors';
import { ensureDir, writeFileAtomic } from './_atomic';
import { sanitiseName } from './paths';

/**
 * One small JSON document per certificate under `<home>/<folder>/<name>.json`, validated on read,
 * replaced atomically (mode 0600) on write. Shared by the deploy and renewal state stores.
 */
export class JsonStateFiles<T> {
  constructor(private readonly options: { home: string; folder: string; schema: z.ZodType<T>; empty: () => T }) {}

  /** The stored document, or `empty()` when none was saved. @throws StorageError STORAGE_CORRUPT, STORAGE_IO */
  async load(name: string): Promise<T> {
    const path = this.pathOf(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.options.empty();
      throw new StorageError('STORAGE_IO', `Cannot read "${path}": ${(error as Error).message}`, {
        path,
        cause: error,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StorageError('STORAGE_CORRUPT', `Cannot read "${path}": it is not valid JSON`, { path, cause: error });
    }
    const result = this.options.schema.safeParse(parsed);
    if (!result.success) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `Cannot read "${path}": ${result.error.issues[0]?.message ?? 'unexpected content'}`,
        { path },
      );
    }
    return result.data;
  }

  /** @throws StorageError STORAGE_IO */
  async save(name: string, document: T): Promise<void> {
    await ensureDir(join(this.options.home, this.options.folder));
    await writeFileAtomic(this.pathOf(name), `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  }

  private pathOf(name: string): string {
    return join(this.options.home, this.options.folder, `${sanitiseName(name)}.json`);
  }
}
