import { execFile, type ExecFileException } from 'node:child_process';
import { ConfigError, messageOf } from '../errors';

/** Options of readSnapOptions(). */
export interface ReadSnapOptionsOptions {
  /** Environment for snapctl; its PATH is used to find the executable. Never process.env implicitly. */
  env: NodeJS.ProcessEnv;
  /** Kill snapctl after this long. Default: 5000 ms. */
  timeoutMs?: number;
}

/** Default snapctl timeout: snapd answers in milliseconds, so a hang means something is wrong. */
export const SNAPCTL_TIMEOUT_MS = 5000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

function describeFailure(error: ExecFileException, stderr: string, timeout: number): string {
  if (error.code === 'ENOENT') return 'snapctl was not found on PATH';
  if (error.killed === true) return `no answer within ${timeout} ms`;
  const output = stderr.trim();
  return output === '' ? messageOf(error) : output;
}

function run(args: string[], options: ReadSnapOptionsOptions): Promise<string> {
  const command = `snapctl ${args.join(' ')}`;
  const timeout = options.timeoutMs ?? SNAPCTL_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    execFile(
      'snapctl',
      args,
      { env: options.env, timeout, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise(stdout);
          return;
        }
        const detail = describeFailure(error, stderr, timeout);
        reject(
          new ConfigError(`Cannot read snap options with "${command}": ${detail}`, { source: 'snapctl', cause: error }),
        );
      },
    );
  });
}

/**
 * Reads snap options with one `snapctl get -d <key>…` (execFile, no shell). Keys that are unset,
 * null or missing from the JSON document are left out of the result. Sample output: `{"acme-port": 34000}`.
 * @throws ConfigError when snapctl cannot be run, fails, times out or prints something other than a JSON object.
 */
export async function readSnapOptions(
  keys: string[],
  options: ReadSnapOptionsOptions,
): Promise<Record<string, unknown>> {
  if (keys.length === 0) return {};
  const args = ['get', '-d', ...keys];
  const command = `snapctl ${args.join(' ')}`;
  const stdout = await run(args, options);
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch (error) {
    throw new ConfigError(`Cannot read snap options with "${command}": the output is not JSON`, {
      source: 'snapctl',
      cause: error,
    });
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(`Cannot read snap options with "${command}": expected a JSON object`, { source: 'snapctl' });
  }
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    if (!Object.hasOwn(document, key)) continue;
    const value = (document as Record<string, unknown>)[key];
    if (value !== null) values[key] = value;
  }
  return values;
}
