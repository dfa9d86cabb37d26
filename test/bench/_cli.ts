/**
 * Child processes for the renewal benchmark: timed runs of the built CLI and of lego, and a
 * long-running `acme daemon` whose resident memory is sampled from /proc. Every child has a
 * timeout or is killed by the caller; nothing is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { selfArguments } from '../../src/launchFlags';

/** The built CLI (`npm run build`). */
export const CLI = resolve(__dirname, '..', '..', 'dist', 'main.js');

/** What one finished child produced, and how long it ran. */
export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Runs `command args` with only PATH (plus `env`) and returns its output and wall time; killed after `timeoutMs`. */
export function timedRun(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<TimedRun> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) =>
      done({ code, stdout, stderr, wallMs: Number(process.hrtime.bigint() - started) / 1e6 }),
    );
  });
}

/**
 * The node arguments that run the built CLI with `args` as users run it: under the launch flags of
 * its shebang and the snap's wrapper.
 */
export function cliArguments(args: readonly string[]): string[] {
  return selfArguments(CLI, args);
}

/** `acme <args>` (the built CLI), timed. */
export function runCli(args: string[], timeoutMs: number): Promise<TimedRun> {
  return timedRun(process.execPath, cliArguments(args), { timeoutMs });
}

/** Reads `VmRSS` and `VmHWM` (peak) of a live process from /proc, in KiB. */
export async function memoryOf(pid: number): Promise<{ rssKb: number; hwmKb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** A started child whose stderr is watched line by line. */
export interface WatchedChild {
  child: ChildProcess;
  /** Resolves when a stderr line contains `text`; rejects after `timeoutMs` or when the child exits first. */
  waitForLine(text: string, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code, or `'timeout'` when it has not exited within `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<number | null | 'timeout'>;
  output(): string;
}

/** Spawns `command args` with only PATH; the caller MUST end it (SIGTERM, then SIGKILL). */
export function spawnWatched(command: string, args: string[]): WatchedChild {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return {
    child,
    output: () => output,
    waitForExit: (timeoutMs) => Promise.race([exited, sleep(timeoutMs, 'timeout' as const)]),
    waitForLine: async (text, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      // Bounded poll: at most timeoutMs / 50 iterations.
      while (Date.now() < deadline) {
        const line = output.split('\n').find((l) => l.includes(text));
        if (line !== undefined) return line;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await sleep(50);
      }
      throw new Error(
        `Cannot see "${text}" from "${args[1] ?? command}" within ${timeoutMs} ms; output: ${output.slice(-2000)}`,
      );
    },
  };
}
