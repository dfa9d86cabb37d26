import { join } from 'node:path';
import type { z } from 'zod';
import { StorageError } from '../../errors';
import { ensureDir, ioError, readTextFile, writeFileAtomic, type FileSystem } from './_atomic';
import { sanitiseName } from '../_names';

/** Options of one save: `signal` aborts it before the file is replaced (nothing written then). */
export interface StateSaveOptions {
  signal?: AbortSignal;
  /** Default: node:fs/promises. Tests pass a wrapper that fails on purpose. */
  fs?: FileSystem;
}

/**
 * One small JSON document per certificate under `<home>/<folder>/<name>.json`, validated on read,
 * replaced atomically (mode 0600) on write. Shared by the deploy and renewal state stores.
 * update() serialises the read-modify-write of one file within this process; across processes
 * the caller's lock (the home lock, or the certificate's) keeps writers apart.
 */
export class JsonStateFiles<T> {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: { home: string; folder: string; schema: z.ZodType<T> }) {}

  /** The stored document, or undefined when none was saved. @throws StorageError STORAGE_CORRUPT, STORAGE_IO */
  async load(name: string): Promise<T | undefined> {
    return readStateFile(this.pathOf(name), this.options.schema);
  }

  /**
   * Reads the document, lets `change` compute the next one from it (undefined: none saved yet) and
   * writes that atomically; no other update() of the same file in this process runs in between.
   * `change` may throw to write nothing. Resolves with what `change` returned.
   * @throws StorageError STORAGE_CORRUPT, STORAGE_IO; the signal's reason when aborted before the write
   */
  async update<R>(
    name: string,
    change: (current: T | undefined) => { document: T; result: R },
    options: StateSaveOptions = {},
  ): Promise<R> {
    const path = this.pathOf(name);
    const previous = this.queues.get(path) ?? Promise.resolve();
    const run = previous.then(async () => {
      options.signal?.throwIfAborted();
      const { document, result } = change(await readStateFile(path, this.options.schema));
      await ensureDir(join(this.options.home, this.options.folder));
      await writeStateFile(path, document, options);
      return result;
    });
    const settled = run.catch(() => undefined);
    this.queues.set(path, settled);
    void settled.then(() => {
      if (this.queues.get(path) === settled) this.queues.delete(path);
    });
    return run;
  }

  /** `<home>/<folder>/<sanitised name>.json`. */
  pathOf(name: string): string {
    return join(this.options.home, this.options.folder, `${sanitiseName(name)}.json`);
  }
}

/**
 * Reads and validates one state file; undefined when it does not exist.
 * @throws StorageError STORAGE_CORRUPT (not JSON, or not what `schema` accepts), STORAGE_IO
 */
export async function readStateFile<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
  let parsed: unknown;
  let protoKey = false;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') protoKey = true;
      return value;
    });
  } catch (error) {
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read "${path}": it is not valid JSON; move it aside and run the command again`,
      { path, cause: error },
    );
  }
  // A "__proto__" key would become the prototype of what the schema builds, not a key of it.
  if (protoKey) {
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read "${path}": it holds a "__proto__" key; move it aside and run the command again`,
      { path },
    );
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`;
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read "${path}": ${issue?.message ?? 'unexpected content'}${where}; move it aside and run the command again`,
      { path },
    );
  }
  return result.data;
}

/**
 * Replaces one state file atomically, mode 0600; an aborted `signal` leaves the old file.
 * @throws StorageError STORAGE_IO; the signal's reason when aborted
 */
export async function writeStateFile(path: string, document: unknown, options: StateSaveOptions = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`, {
    mode: 0o600,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.fs === undefined ? {} : { fs: options.fs }),
  });
}
