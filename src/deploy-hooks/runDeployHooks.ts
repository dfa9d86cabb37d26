import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { HookError } from '../errors';
import type { Logger } from '../log';
import { checkHook, openCheckedProgram } from './checkHook';
import type { DeployHook } from './discoverHooks';
import { OutputLines, outputBudget } from './_output';
import { causeText } from './_cause';

/** Default time a hook may run before its process group gets SIGTERM. */
export const DEPLOY_HOOK_TIMEOUT_MS = 120_000;

/** Default time between SIGTERM and SIGKILL to a timed-out hook's process group. */
export const HOOK_KILL_GRACE_MS = 5_000;

/** How one hook ended. A hook that was refused or could not start has `exitCode: null`. */
export interface HookResult {
  label: string;
  exitCode: number | null;
  /** The signal that ended the hook, e.g. `SIGTERM` after a timeout. */
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** True only when the hook exited with status 0 within its timeout. */
  ok: boolean;
  /** Why it failed, as logged; never holds environment values. */
  error?: string;
}

/** Options of runDeployHooks. */
export interface RunDeployHooksOptions {
  /** The hook's complete environment, from hookEnvironment(); nothing else is inherited. */
  env: Record<string, string>;
  logger: Logger;
  /** Default: DEPLOY_HOOK_TIMEOUT_MS (120 s). */
  timeoutMs?: number;
  /** Default: HOOK_KILL_GRACE_MS (5 s). */
  killGraceMs?: number;
  /** The uid checkHook() accepts as owner besides root. Default: `process.getuid()`. */
  uid?: number;
}

/** Options of runProgram: those of runDeployHooks, and what the program is called in messages. */
export interface RunProgramOptions extends RunDeployHooksOptions {
  /** Default: `deploy hook`. */
  role?: string;
}

/** The descriptor a checked program is run from, in the child: `/proc/self/fd/3`. */
const PROGRAM_FD = 3;

/**
 * Runs each hook in turn, never in parallel, and never throws: a refused, failing or
 * timed-out hook gives `ok: false`, is logged at error, and the next hook still runs. Each
 * hook is checked (checkHook), spawned without a shell in its own process group with exactly
 * `env`, and its stdout/stderr lines are logged at info/warn with `{ hook: label }`.
 * On timeout the whole group gets SIGTERM, then SIGKILL after `killGraceMs`.
 */
export async function runDeployHooks(hooks: DeployHook[], options: RunDeployHooksOptions): Promise<HookResult[]> {
  const results: HookResult[] = [];
  for (const hook of hooks) results.push(await runProgram(hook, options));
  return results;
}

/**
 * Runs one external program (a deploy hook, the reload command) the way runDeployHooks() runs
 * each hook, and never throws. A bare name is looked up on `env.PATH`. The program is checked
 * (checkHook), opened, proved to be the checked file, and executed from that descriptor through
 * `/proc/self/fd/3`, so a path swapped after the check can never run: a script therefore sees
 * `$0` as `/proc/self/fd/3`, and a binary its real path as `argv[0]`.
 */
export async function runProgram(hook: DeployHook, options: RunProgramOptions): Promise<HookResult> {
  const role = options.role ?? 'deploy hook';
  const logger = options.logger.child({ hook: hook.label });
  const started = performance.now();
  let result: Omit<HookResult, 'durationMs' | 'label'>;
  try {
    const [file] = hook.argv;
    if (file === undefined) throw new HookError(`Cannot run ${role} "${hook.label}": the command is empty`);
    const checked = await checkHook(file, {
      role,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.env.PATH === undefined ? {} : { searchPath: options.env.PATH }),
    });
    const handle = await openCheckedProgram(checked, role);
    logger.info(`Running ${role}`, { command: checked.realPath });
    result = await spawnHook({ ...hook, argv: [checked.realPath, ...hook.argv.slice(1)] }, handle, options, logger);
  } catch (error) {
    result = { exitCode: null, signal: null, timedOut: false, ok: false, error: causeText(error) };
  }
  const durationMs = Math.round(performance.now() - started);
  if (result.ok) logger.info('Deploy hook finished', { exitCode: 0, durationMs });
  else
    logger.error(result.error ?? 'Deploy hook failed', {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs,
    });
  return { label: hook.label, ...result, durationMs };
}

type Outcome = Omit<HookResult, 'durationMs' | 'label'>;

/** How a hook's run ended, for describe(). */
interface RunState {
  timedOut: boolean;
  /** SIGKILL was sent after the grace period: stop waiting for the group. */
  escalated: boolean;
}

async function spawnHook(
  hook: DeployHook,
  handle: FileHandle,
  options: RunProgramOptions,
  logger: Logger,
): Promise<Outcome> {
  let outcome: Promise<Outcome>;
  try {
    outcome = superviseChild(spawnDetached(hook, handle, options), hook, options, logger);
  } finally {
    // The child holds its own copy of the descriptor from here on.
    await handle.close();
  }
  return outcome;
}

function superviseChild(
  child: ChildProcess,
  hook: DeployHook,
  options: RunProgramOptions,
  logger: Logger,
): Promise<Outcome> {
  const timeoutMs = options.timeoutMs ?? DEPLOY_HOOK_TIMEOUT_MS;
  const graceMs = options.killGraceMs ?? HOOK_KILL_GRACE_MS;
  const budget = outputBudget();
  const stdout = new OutputLines((line) => logger.info(line), budget);
  const stderr = new OutputLines((line) => logger.warn(line), budget);
  child.stdout?.on('data', (chunk: Buffer) => stdout.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
  return new Promise<Outcome>((done) => {
    const state: RunState = { timedOut: false, escalated: false };
    let closed = false;
    let killTimer: NodeJS.Timeout | undefined;
    let finish = (outcome: Outcome): void => {
      finish = () => undefined;
      clearTimeout(timer);
      clearTimeout(killTimer);
      done(outcome);
    };
    const settle = (): void => {
      stdout.end();
      stderr.end();
      finish(describe(hook.label, child, { ...state, timeoutMs, role: options.role ?? 'deploy hook' }));
    };
    const timer = setTimeout(() => {
      state.timedOut = true;
      signalGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => {
        state.escalated = true;
        signalGroup(child, 'SIGKILL');
        if (closed) settle();
        // A process outside the group (setsid) may still hold the pipes: stop reading them.
        else for (const stream of [child.stdout, child.stderr]) stream?.destroy();
      }, graceMs);
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      // The message names /proc/self/fd/3; the code says why (ENOENT: a missing "#!" interpreter).
      const detail = `the system cannot execute it (${error.code ?? error.message}); check that it is a program for this machine and that its "#!" interpreter exists`;
      finish({
        exitCode: null,
        signal: null,
        timedOut: false,
        ok: false,
        error: `Cannot run ${options.role ?? 'deploy hook'} "${hook.label}": ${detail}`,
      });
    });
    child.on('close', () => {
      closed = true;
      // After a timeout, a group member may outlive the hook (or ignore SIGTERM): wait for the
      // SIGKILL unless the whole group is already gone.
      if (state.timedOut && !state.escalated && groupAlive(child)) return;
      settle();
    });
  });
}

/**
 * spawn() with `detached` (setsid): the hook leads a new process group, so `kill(-pid)` also
 * reaches the children it starts. No shell. The checked descriptor becomes the child's fd 3
 * (without close-on-exec, so that an interpreter can open a script through it) and is what
 * runs; `argv[0]` is the real path.
 * @throws HookError HOOK_FAILED when Node refuses the arguments (the cause is dropped from the
 * message because Node quotes the offending value, which may be an environment value)
 */
function spawnDetached(
  hook: DeployHook,
  handle: FileHandle,
  options: Pick<RunProgramOptions, 'env' | 'role'>,
): ChildProcess {
  const [file, ...args] = hook.argv as [string, ...string[]];
  try {
    return spawn(`/proc/self/fd/${PROGRAM_FD}`, args, {
      argv0: file,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', handle.fd],
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new HookError(
      `Cannot run ${options.role ?? 'deploy hook'} "${hook.label}": Node refused its arguments or environment (${code})`,
    );
  }
}

function describe(label: string, child: ChildProcess, state: RunState & { timeoutMs: number; role: string }): Outcome {
  const exitCode = child.exitCode;
  const signal = child.signalCode;
  const base = { exitCode, signal, timedOut: state.timedOut };
  const failed = `${state.role.charAt(0).toUpperCase()}${state.role.slice(1)} "${label}" failed`;
  if (state.timedOut) {
    return {
      ...base,
      ok: false,
      error: `${failed}: it did not finish within ${state.timeoutMs} ms, so its process group was killed`,
    };
  }
  if (exitCode === 0) return { ...base, ok: true };
  const how = signal !== null ? `it was killed by ${signal}` : `it exited with status ${String(exitCode)}`;
  return { ...base, ok: false, error: `${failed}: ${how}` };
}

/** Sends `signal` to the hook's process group; a group that is already gone is fine. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: every process in the group has exited.
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}
