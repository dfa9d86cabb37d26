import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { appendTranscript } from '../../../scripts/scan-secrets';

/** Path of the built CLI; `npm test` builds it before jest runs. */
export const CLI_PATH = resolve(__dirname, '..', '..', '..', 'dist', 'main.js');

/** What one CLI run produced. */
export interface AcmeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Appends one CLI run's output to the current test's transcript (see scripts/scan-secrets.ts). runAcme() calls it;
 * a test that spawns dist/main.js itself calls it with what the run printed.
 */
export function recordTranscript(
  args: readonly string[],
  code: number | null,
  output: { stdout: string; stderr: string },
): void {
  // The arguments stay out of the transcript: a test may pass a secret (--eab-hmac-key) on purpose.
  const { testPath, currentTestName } = expect.getState();
  const testName = `${currentTestName ?? ''} (acme ${args[0] ?? ''}, exit ${code})`;
  appendTranscript({ testPath, testName, stream: 'stdout', text: output.stdout });
  appendTranscript({ testPath, testName, stream: 'stderr', text: output.stderr });
}

/**
 * Runs `node dist/main.js <args>` with a clean environment plus `env`; killed after `timeoutMs` (default 90 s).
 * Its stdout and stderr also go to the test's transcript, which scripts/scan-secrets.ts scans for leaked secrets.
 */
export function runAcme(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<AcmeRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 90_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => {
      try {
        recordTranscript(args, code, { stdout, stderr });
      } catch (error) {
        fail(error);
        return;
      }
      done({ code, stdout, stderr });
    });
  });
}
