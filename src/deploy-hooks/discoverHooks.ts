import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HookError } from '../errors';
import type { Logger } from '../log';
import { causeText } from './_cause';

/** One hook to run: a label for logs and results, and the argv to exec (no shell). */
export interface DeployHook {
  /** File name for discovered hooks, the command as given for `--deploy-hook`. */
  label: string;
  /** `argv[0]` MUST be an absolute path; the rest are passed as arguments, unexpanded. */
  argv: string[];
}

/** Options of discoverHooks. */
export interface DiscoverHooksOptions {
  /** Told about files that are skipped because they are not executable. Default: none. */
  logger?: Logger;
}

/**
 * Lists the hooks in `dir` (the caller's `<home>/hooks/post-renew.d`) in byte order of their
 * names, like run-parts. Skips dot-files, `*.disabled`, anything that is not a file after
 * following links, and files that are not executable (with a warning). A missing `dir` has none.
 * @throws HookError HOOK_FAILED when `dir` exists but cannot be read
 */
export async function discoverHooks(dir: string, options: DiscoverHooksOptions = {}): Promise<DeployHook[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new HookError(`Cannot list deploy hooks in "${root}": ${causeText(error)}`, { cause: error });
  }
  const hooks: DeployHook[] = [];
  // sort() compares UTF-16 code units, not the locale: `10-a` runs before `9-b`, as in run-parts.
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.endsWith('.disabled')) continue;
    const path = join(root, name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    const executable = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!executable) {
      options.logger?.warn(`Skipping deploy hook "${path}": it is not executable; run "chmod +x" on it to enable it`, {
        hook: name,
      });
      continue;
    }
    hooks.push({ label: name, argv: [path] });
  }
  return hooks;
}
