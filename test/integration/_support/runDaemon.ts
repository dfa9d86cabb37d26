import { spawn } from 'node:child_process';
import { CLI_PATH, recordTranscript } from './runAcme';

/** How a daemon run ended: its exit code, its stderr, and what was true when its first pass finished. */
export interface DaemonRun<T> {
  exitCode: number | null;
  stderr: string;
  /** `atFirstPass()`'s answer, taken before the daemon was stopped. */
  atFirstPass: T;
}

/**
 * Starts `acme daemon <args>` from the built CLI with a clean environment, waits for its first
 * "Renewal pass finished", calls `atFirstPass`, stops it with SIGTERM and waits for it to exit.
 * Killed after `timeoutMs` (the node `timeout` option), so the wait always ends.
 */
export async function runDaemonUntilFirstPass<T>(
  args: string[],
  options: { timeoutMs: number; atFirstPass: () => T },
): Promise<DaemonRun<T>> {
  const child = spawn(process.execPath, [CLI_PATH, 'daemon', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
  });
  let stderr = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const passFinished = new Promise<void>((done) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('Renewal pass finished')) done();
    });
  });
  // A daemon that dies before its first pass ends the wait too.
  await Promise.race([passFinished, exited]);
  const atFirstPass = options.atFirstPass();
  child.kill('SIGTERM');
  const exitCode = await exited;
  recordTranscript(['daemon'], exitCode, { stdout: '', stderr });
  return { exitCode, stderr, atFirstPass };
}
