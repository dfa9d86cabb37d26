import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { HookError } from '../errors';
import { causeText } from './_cause';

/** Options of checkHook. */
export interface CheckHookOptions {
  /** The uid the hook will run as, which may own it besides root. Default: `process.getuid()`. */
  uid?: number;
}

/**
 * Refuses a hook that is unsafe or cannot run: a relative or missing path, not a regular file,
 * not executable, group/world-writable, owned by a user other than root or `uid`, or in a
 * group/world-writable directory. Links are followed and both the link's and the target's
 * directories are checked. Another user who can change the file decides what runs as us
 * (certbot `validate_hook`; lego runs whatever it is given).
 * @throws HookError HOOK_FAILED with a message that says what to fix
 */
export async function checkHook(path: string, options: CheckHookOptions = {}): Promise<void> {
  try {
    await inspectHook(path, options.uid ?? process.getuid?.() ?? 0);
  } catch (error) {
    if (error instanceof HookError) throw error;
    const detail = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : causeText(error);
    throw new HookError(`Cannot run deploy hook "${path}": ${detail}`, { cause: error });
  }
}

async function inspectHook(path: string, uid: number): Promise<void> {
  const refuse = (detail: string): HookError => new HookError(`Cannot run deploy hook "${path}": ${detail}`);
  if (!isAbsolute(path)) throw refuse('the path is not absolute');
  const real = await realpath(path);
  const info = await stat(real);
  if (!info.isFile()) throw refuse('it is not a regular file');
  const mode = formatMode(info.mode);
  if (!(await isExecutable(real))) throw refuse(`it is not executable (mode ${mode}); fix with "chmod +x ${shellQuote(path)}"`);
  if ((info.mode & 0o022) !== 0) throw refuse(`it is group/world-writable (mode ${mode}); fix with "chmod go-w ${shellQuote(path)}"`);
  if (info.uid !== 0 && info.uid !== uid) {
    const owner = uid === 0 ? 'root' : String(uid);
    throw refuse(
      `it is owned by uid ${info.uid}, which is neither root nor the current user (uid ${uid}); fix with "chown ${owner} ${shellQuote(path)}"`,
    );
  }
  for (const dir of new Set([dirname(path), dirname(real)])) {
    const dirMode = (await stat(dir)).mode;
    if ((dirMode & 0o022) !== 0) {
      throw refuse(`its directory "${dir}" is group/world-writable (mode ${formatMode(dirMode)}); fix with "chmod go-w ${shellQuote(dir)}"`);
    }
  }
}

/** X_OK for this process (for root: any execute bit). */
function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** `0o100755` → `0755` (permission bits and set-id/sticky bits, four octal digits). */
function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Quotes a path for the fix command only when the shell would split or expand it. */
function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
