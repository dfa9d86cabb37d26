import { constants, type Stats } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { HookError } from '../errors';
import { causeText } from './_cause';
import { formatMode, resolveTrustedPath, shellQuote, UntrustedPathError, type UntrustedStep } from './_trustedPath';

/** Options of checkHook. */
export interface CheckHookOptions {
  /** The uid the hook will run as, which may own it and its directories besides root. Default: `process.getuid()`. */
  uid?: number;
  /** The PATH a bare program name (`snapctl`) is looked up on; only absolute entries count. Default: none. */
  searchPath?: string;
  /** How the program is named in messages. Default: `deploy hook`. */
  role?: string;
}

/** A program that checkHook() proved only root or `uid` can change. */
export interface CheckedProgram {
  /** The program as given, for messages. */
  path: string;
  /** Every link resolved: the file that will run. */
  realPath: string;
  /** Its identity when checked: the descriptor opened to run it must be this file. */
  stats: Stats;
}

/**
 * Refuses a program that is unsafe or cannot run: a relative path, a bare name not found on
 * `searchPath`, a missing file, not a regular file, not executable, group/world-writable, or any
 * step of its path (every directory from `/` and every link followed) that a user other than
 * root or `uid` owns or may write. Another user who can change any of those decides what runs as
 * us (certbot `validate_hook`; lego runs whatever it is given).
 * @throws HookError HOOK_FAILED with a message that says what to fix
 */
export async function checkHook(path: string, options: CheckHookOptions = {}): Promise<CheckedProgram> {
  const refuse = (detail: string, cause?: unknown): HookError =>
    new HookError(
      `Cannot run ${options.role ?? 'deploy hook'} "${path}": ${detail}`,
      cause === undefined ? {} : { cause },
    );
  try {
    const absolute = await locate(path, options.searchPath);
    if (absolute === undefined) throw refuse(notFoundDetail(path));
    const { realPath, stats } = await resolveTrustedPath(absolute, options.uid ?? process.getuid?.() ?? 0);
    const problem = await fileProblem(realPath, stats, path);
    if (problem !== undefined) throw refuse(problem);
    return { path, realPath, stats };
  } catch (error) {
    if (error instanceof HookError) throw error;
    if (error instanceof UntrustedPathError) throw refuse(describeStep(error.step, path));
    throw refuse((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : causeText(error), error);
  }
}

/**
 * Opens the checked program for running and proves it is still the file that was checked: opened
 * without following a link, then fstat() on the descriptor must give the same device and inode,
 * a regular file, and no group/world write bit. The caller executes this descriptor
 * (`/proc/self/fd/N`), never the path again, so nothing swapped in after the check can run.
 * @throws HookError HOOK_FAILED when the file changed since the check or cannot be opened
 */
export async function openCheckedProgram(checked: CheckedProgram, role = 'deploy hook'): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(checked.realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new HookError(
      `Cannot run ${role} "${checked.path}": cannot open "${checked.realPath}": ${causeText(error)}`,
      { cause: error },
    );
  }
  const now = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw new HookError(
      `Cannot run ${role} "${checked.path}": cannot read "${checked.realPath}": ${causeText(error)}`,
      { cause: error },
    );
  });
  const same =
    now.dev === checked.stats.dev &&
    now.ino === checked.stats.ino &&
    now.isFile() &&
    (now.mode & 0o022) === 0 &&
    now.uid === checked.stats.uid;
  if (!same) {
    await handle.close();
    throw new HookError(
      `Cannot run ${role} "${checked.path}": "${checked.realPath}" changed between its check and its start; nothing was run`,
    );
  }
  return handle;
}

function notFoundDetail(path: string): string {
  return path.includes('/') || path === ''
    ? 'the path is not absolute'
    : 'it is not an absolute path, and no executable of that name is on PATH';
}

/** The absolute file a program name stands for: itself when absolute, else its first hit on `searchPath`. */
async function locate(path: string, searchPath: string | undefined): Promise<string | undefined> {
  if (isAbsolute(path)) return path;
  if (path.includes('/') || path === '' || searchPath === undefined) return undefined;
  for (const dir of searchPath.split(':').filter((entry) => isAbsolute(entry))) {
    const candidate = join(dir, path);
    const found = await stat(candidate).then(
      (info) => info.isFile(),
      () => false,
    );
    if (found && (await isExecutable(candidate))) return candidate;
  }
  return undefined;
}

async function fileProblem(realPath: string, stats: Stats, path: string): Promise<string | undefined> {
  if (!stats.isFile()) return 'it is not a regular file';
  const mode = formatMode(stats.mode);
  if (!(await isExecutable(realPath)))
    return `it is not executable (mode ${mode}); fix with "chmod +x ${shellQuote(path)}"`;
  if ((stats.mode & 0o022) !== 0)
    return `it is group/world-writable (mode ${mode}); fix with "chmod go-w ${shellQuote(path)}"`;
  return undefined;
}

/** `its directory "/srv" is owned by uid 1000, …; fix with "chown root /srv"`. */
function describeStep(step: UntrustedStep, path: string): string {
  const subject =
    step.path === path && step.kind === 'file'
      ? 'it'
      : step.kind === 'directory'
        ? `its directory "${step.path}"`
        : `"${step.path}" on its path`;
  return `${subject} ${step.problem}; fix with "${step.fix}"`;
}

/** X_OK for this process (for root: any execute bit). */
function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}
