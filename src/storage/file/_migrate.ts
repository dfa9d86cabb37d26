/**
 * The home's layout: which release's file formats `--home` holds, in `<home>/layout.json`
 * (`{"layout": 2}`). A home without it was written by a release before layouts were numbered
 * (layout 1). migrateHome() brings a layout-1 home to layout 2 in place:
 * - `deploy/<name>.json` `{ "endpoints": … }` becomes `{ "nodes": { "<this node>": { "endpoints": … } } }`;
 * - `renewal/<name>.json` stays as it is (a file without `revision` reads as revision 1);
 * - `layout.json` is written last.
 * Each file is replaced atomically, so a kill at any step leaves a home that reads correctly and
 * that the next run finishes. Running it again on a layout-2 home changes nothing.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, StorageError } from '../../errors';
import type { Logger } from '../../log';
import { ensureDir, ioError, type FileSystem } from './_atomic';
import { checkNodeId } from '../_deploy-state';
import { deployFileDocument, deployFileSchema, legacyDeployFileSchema } from './_deploy-state';
import { readStateFile, writeStateFile } from './_state-file';

/** The layout this release writes and reads. */
export const HOME_LAYOUT = 2;
/** A home without layout.json: written before layouts were numbered. */
const UNNUMBERED_LAYOUT = 1;
/** A deploy state file larger than this is not one this product wrote; it is left alone. */
const MAX_STATE_FILE_BYTES = 1024 * 1024;

const layoutSchema = z.object({ layout: z.number().int().min(1) });

/** `<home>/layout.json`. */
export function layoutPath(home: string): string {
  return join(home, 'layout.json');
}

/**
 * The layout of `home`: layout.json's, or 1 when there is none.
 * @throws ConfigError when the home has a layout newer than this release reads;
 *   StorageError STORAGE_CORRUPT when layout.json is not `{"layout": <n>}`, STORAGE_IO
 */
export async function readHomeLayout(home: string): Promise<number> {
  const path = layoutPath(home);
  const stored = await readStateFile(path, layoutSchema);
  const layout = stored?.layout ?? UNNUMBERED_LAYOUT;
  if (layout > HOME_LAYOUT) {
    throw new ConfigError(
      `Cannot use --home "${home}": "${path}" says layout ${layout}, written by a newer release of haproxy-acme, ` +
        `and this release reads layout ${HOME_LAYOUT} at most; upgrade haproxy-acme or use another --home`,
      { source: '--home' },
    );
  }
  return layout;
}

/** Options of migrateHome(). */
export interface MigrateHomeOptions {
  /** This host's node id (`config.nodeId`): the node a layout-1 deploy state belongs to. */
  node: string;
  logger: Logger;
  /** Used for every write. Default: node:fs/promises. Tests pass a wrapper that fails on purpose. */
  fs?: FileSystem;
}

/** What migrateHome() did. */
export interface HomeMigration {
  /** The layout found (1 for a home without layout.json). */
  from: number;
  /** HOME_LAYOUT. */
  to: number;
  /** Files rewritten, relative to the home (e.g. `deploy/a.example.json`). */
  rewritten: string[];
  /** Files left as they were because they are not a deploy state (reported when read). */
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Brings `home` to HOME_LAYOUT; a no-op (one small read) when it is there already. Callers MUST hold
 * the home lock. A deploy state file that is not valid (not JSON, wrong shape, a symbolic link, too
 * large) is left untouched and listed in `skipped`: the command that reads it reports it, as before.
 * @throws ConfigError for a home of a newer layout; StorageError STORAGE_CORRUPT for a bad
 *   layout.json, STORAGE_IO when a file cannot be read or written (the next run carries on)
 */
export async function migrateHome(home: string, options: MigrateHomeOptions): Promise<HomeMigration> {
  const node = checkNodeId(options.node);
  const from = await readHomeLayout(home);
  const migration: HomeMigration = { from, to: HOME_LAYOUT, rewritten: [], skipped: [] };
  if (from === HOME_LAYOUT) return migration;
  for (const file of await deployFiles(home)) {
    const outcome = await migrateDeployFile(join(home, 'deploy', file), node, options.fs);
    if (outcome === 'rewritten') migration.rewritten.push(`deploy/${file}`);
    else if (outcome !== 'current') migration.skipped.push({ file: `deploy/${file}`, reason: outcome.skipped });
  }
  for (const skipped of migration.skipped) {
    options.logger.warn('Left a deploy state file as it was: it is not one this release can read', skipped);
  }
  await ensureDir(home);
  await writeStateFile(layoutPath(home), { layout: HOME_LAYOUT }, { fs: options.fs });
  options.logger.info('Migrated the home to the current layout', {
    home,
    from,
    to: HOME_LAYOUT,
    rewritten: migration.rewritten.length,
  });
  return migration;
}

/** Names of `<home>/deploy/*.json`, sorted; temp files of an interrupted write (dot names) are not state. */
async function deployFiles(home: string): Promise<string[]> {
  const dir = join(home, 'deploy');
  try {
    const names = await readdir(dir);
    return names.filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('list', dir, error);
  }
}

type FileOutcome = 'rewritten' | 'current' | { skipped: string };

async function migrateDeployFile(path: string, node: string, fs: FileSystem | undefined): Promise<FileOutcome> {
  const stat = await lstat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  });
  if (stat === undefined) return 'current';
  if (!stat.isFile()) return { skipped: 'not a regular file' };
  if (stat.size > MAX_STATE_FILE_BYTES) return { skipped: `larger than ${MAX_STATE_FILE_BYTES} bytes` };
  let current: unknown;
  try {
    current = await readStateFile(path, z.unknown());
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_CORRUPT') return { skipped: 'not valid JSON' };
    throw error;
  }
  if (deployFileSchema.safeParse(current).success) return 'current';
  const legacy = legacyDeployFileSchema.safeParse(current);
  if (!legacy.success) return { skipped: 'not a deploy state' };
  await writeStateFile(path, deployFileDocument(new Map([[node, legacy.data]]), node), { fs });
  return 'rewritten';
}
