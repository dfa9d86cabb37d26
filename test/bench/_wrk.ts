/**
 * Load with `wrk` (Debian package): every request on a new connection, hence a new TLS
 * handshake, so a certificate change is seen by the very next request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `Connection: close` on every request: the server closes, wrk reconnects and handshakes again. */
const NEW_HANDSHAKE_LUA =
  '-- haproxy-acme swap bench: one request per connection, one TLS handshake per request\nwrk.headers["Connection"] = "close"\n';
/** wrk is killed (SIGKILL) when it has not exited this long after its own duration. */
const WRK_GRACE_MS = 15_000;

/** What one wrk run counted. */
export interface WrkResult {
  /** Completed responses ("N requests in …"), any status. */
  requests: number;
  /** "Non-2xx or 3xx responses: N" (absent from wrk's output when 0). */
  non2xx: number;
  /** "Socket errors: connect N, read N, write N, timeout N" (absent when all are 0). */
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeoutErrors: number;
  requestsPerSecond: number;
  /** Failed requests and connections: non-2xx responses plus every socket error. */
  failed: number;
}

/** Options of `runWrk()`. */
export interface RunWrkOptions {
  /** Threads (`-t`). Default: 2. */
  threads?: number;
  /** Open connections (`-c`). Default: 20. */
  connections?: number;
  /** Duration in seconds (`-d`). Default: 10. */
  durationSeconds?: number;
}

/** A started wrk run. */
export interface WrkRun {
  /** The command line, for the report. */
  commandLine: string;
  /** Resolves with the parsed counts when wrk exits; rejects when it fails or its output does not parse. */
  done: Promise<WrkResult>;
  /** SIGKILLs wrk if it still runs. */
  kill(): void;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Writes the Lua script that makes every request a new connection; returns its path. */
export async function writeNewHandshakeScript(dir: string): Promise<string> {
  const path = join(dir, 'new-handshake.lua');
  await writeFile(path, NEW_HANDSHAKE_LUA, { mode: 0o600 });
  return path;
}

function count(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Parses wrk 4.x output. Sample:
 * `  51234 requests in 10.01s, 3.12MB read` / `  Socket errors: connect 0, read 3, write 0, timeout 0` /
 * `  Non-2xx or 3xx responses: 2` / `Requests/sec:   5118.24`.
 * @throws Error when there is no "requests in" line
 */
export function parseWrkOutput(output: string): WrkResult {
  const requests = /^\s*(\d+) requests in /m.exec(output);
  if (requests === null) throw new Error(`Cannot parse the wrk output: no "N requests in" line in:\n${output}`);
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const [connectErrors, readErrors, writeErrors, timeoutErrors] =
    sockets === null ? [0, 0, 0, 0] : (sockets.slice(1).map(Number) as [number, number, number, number]);
  const non2xx = count(output, /Non-2xx or 3xx responses: (\d+)/);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  return {
    requests: Number(requests[1]),
    non2xx,
    connectErrors,
    readErrors,
    writeErrors,
    timeoutErrors,
    requestsPerSecond: rate === null ? NaN : Number(rate[1]),
    failed: non2xx + connectErrors + readErrors + writeErrors + timeoutErrors,
  };
}

/** Starts `wrk -tT -cC -dDs -s <script> <url>`; bounded by its duration plus 15 s. */
export function startWrk(url: string, scriptPath: string, options: RunWrkOptions = {}): WrkRun {
  const durationSeconds = options.durationSeconds ?? 10;
  const args = [
    `-t${options.threads ?? 2}`,
    `-c${options.connections ?? 20}`,
    `-d${durationSeconds}s`,
    '-s',
    scriptPath,
    url,
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const killTimer = setTimeout(() => child.kill('SIGKILL'), durationSeconds * 1000 + WRK_GRACE_MS);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<WrkResult>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`Cannot run wrk: ${error.message}; install it with "apt-get install wrk"`, { cause: error })),
    );
    child.once('close', (code, signal) => {
      clearTimeout(killTimer);
      live.delete(child);
      if (code !== 0) {
        reject(new Error(`Cannot measure with wrk: it exited with "${code ?? signal}":\n${stdout}${stderr}`));
        return;
      }
      try {
        resolve(parseWrkOutput(stdout));
      } catch (error) {
        reject(error);
      }
    });
  });
  // A run abandoned after a failed change is killed and never awaited: not an unhandled rejection.
  done.catch(() => undefined);
  return { commandLine: ['wrk', ...args].join(' '), done, kill: () => child.kill('SIGKILL') };
}
