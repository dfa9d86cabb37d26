import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** Path of the built CLI; `npm test` builds it before jest runs. */
export const CLI_PATH = resolve(__dirname, '..', '..', '..', 'dist', 'main.js');

/** What one CLI run produced. */
export interface AcmeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/main.js <args>` with a clean environment plus `env`; killed after `timeoutMs` (default 90 s). */
export function runAcme(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<AcmeRun> {
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
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
