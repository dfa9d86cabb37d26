import { lstat } from 'node:fs/promises';
import { ConfigError, HookError } from '../errors';
import { causeText } from './_cause';
import { checkHook } from './checkHook';
import { discoverHooks } from './discoverHooks';
import { resolveTrustedPath, UntrustedPathError } from './_trustedPath';

/** Every external program a state-changing command may run. */
export interface ProgramSources {
  /** `<home>/hooks/post-renew.d`: the directory itself and each hook in it. */
  hooksDir: string;
  /** `--deploy-hook` commands, as argv. */
  deployHooks: readonly (readonly string[])[];
  /** `--haproxy-reload-cmd`, as argv. */
  reloadCommand?: readonly string[];
  /** The PATH bare names are looked up on, as they will be when run. */
  searchPath?: string;
  /** The uid besides root that may own programs and their directories. Default: `process.getuid()`. */
  uid?: number;
}

/**
 * Refuses to start a command that would run a program another user can change: the post-renew
 * hook directory (every step from `/`), each hook in it, each `--deploy-hook` and the reload
 * command, checked as checkHook() checks them. Run before anything is ordered or written, so a
 * foreign-owned hook directory stops `acme renew` at once with the fix, instead of renewing and
 * then running whatever another user put there as root. A missing hook directory has no hooks.
 * @throws ConfigError CONFIG_INVALID (exit 2) naming the program, the unsafe step and its fix
 */
export async function checkPrograms(sources: ProgramSources): Promise<void> {
  const uid = sources.uid ?? process.getuid?.() ?? 0;
  const options = { uid, ...(sources.searchPath === undefined ? {} : { searchPath: sources.searchPath }) };
  try {
    if (await exists(sources.hooksDir)) {
      await checkHookDirectory(sources.hooksDir, uid);
      for (const hook of await discoverHooks(sources.hooksDir))
        await checkHook(hook.argv[0] as string, { ...options, role: 'post-renew hook' });
    }
    for (const argv of sources.deployHooks) await checkHook(argv[0] as string, { ...options, role: 'deploy hook' });
    if (sources.reloadCommand !== undefined)
      await checkHook(sources.reloadCommand[0] as string, { ...options, role: 'reload command' });
  } catch (error) {
    if (!(error instanceof HookError)) throw error;
    throw new ConfigError(`Refusing to start: ${error.message}`, { source: 'hooks', cause: error });
  }
}

async function checkHookDirectory(dir: string, uid: number): Promise<void> {
  try {
    await resolveTrustedPath(dir, uid);
  } catch (error) {
    const detail =
      error instanceof UntrustedPathError
        ? `"${error.step.path}" ${error.step.problem}; fix with "${error.step.fix}"`
        : causeText(error);
    throw new HookError(`Cannot run post-renew hooks from "${dir}": ${detail}`, { cause: error });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw new HookError(`Cannot run post-renew hooks from "${path}": ${causeText(error)}`, { cause: error });
    },
  );
}
