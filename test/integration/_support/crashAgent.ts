/**
 * A preload (`node -r crashAgent.js dist/main.js …`) that lets the crash-safety test kill the real
 * CLI at an exact step with a real SIGKILL, without a line of test code in src/. It wraps the
 * node:fs/promises calls that change files (and the HAProxy runtime-socket commands), numbers each
 * call that touches a watched path, and either records the sequence (`trace`) or sends itself
 * SIGKILL just before call number `killAt` runs (`kill`). Self-contained: node: imports only,
 * because the test transpiles this one file and hands it to `node -r`.
 *
 * Configured by the environment variable CRASH_AGENT_ENV, a JSON CrashAgentConfig.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the agent replaces properties of the module objects themselves; `import * as` gives a copy of read-only getters */
import fs = require('node:fs');
import net = require('node:net');
import path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The environment variable that carries the JSON CrashAgentConfig. */
export const CRASH_AGENT_ENV = 'HAPROXY_ACME_CRASH_AGENT';

/** What the agent watches and does. */
export interface CrashAgentConfig {
  /** Calls on paths under these directories or equal to these files are counted. */
  watch: string[];
  /** Commands sent to this unix socket path are counted as `haproxy <command words>`. Default: none. */
  haproxySocket?: string;
  /** Appends one line per counted call (`<n> <op> <path>`) to this file. Default: none. */
  traceFile?: string;
  /** Sends SIGKILL to this process just before counted call number `killAt` (1-based) runs. Default: never. */
  killAt?: number;
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;

const MUTATING_OPEN = /[wax+]/;

/** Installs the wrappers; idempotent per process. */
export function installCrashAgent(config: CrashAgentConfig): void {
  const watched = config.watch.map((p) => path.resolve(p));
  let count = 0;
  const isWatched = (target: unknown): target is string => {
    if (typeof target !== 'string') return false;
    const full = path.resolve(target);
    return watched.some((w) => full === w || full.startsWith(`${w}/`));
  };
  const step = (op: string, target: string): void => {
    count += 1;
    if (config.traceFile !== undefined) fs.appendFileSync(config.traceFile, `${count} ${op} ${target}\n`);
    if (count === config.killAt) process.kill(process.pid, 'SIGKILL');
  };
  const promises = fs.promises as unknown as Record<string, AsyncFn>;
  const open = promises.open!;
  for (const op of [
    'rename',
    'mkdir',
    'chmod',
    'symlink',
    'unlink',
    'rm',
    'link',
    'writeFile',
    'appendFile',
    'truncate',
    'copyFile',
  ]) {
    const original = promises[op]!;
    promises[op] = function wrapped(this: unknown, ...args: unknown[]) {
      // rename/link/symlink: the path that changes is the second one.
      const target = ['rename', 'link', 'symlink'].includes(op) ? args[1] : args[0];
      if (!isWatched(target)) return original.apply(this, args);
      step(op, target);
      if (op === 'writeFile' && truncatesInPlace(args))
        return writeInPlace(open, args, () => step('writeFile.data', target));
      return original.apply(this, args);
    };
  }
  promises.open = async function wrappedOpen(this: unknown, ...args: unknown[]) {
    const [target, flags] = args;
    const counted = isWatched(target) && typeof flags === 'string' && MUTATING_OPEN.test(flags);
    if (counted) step(`open:${flags}`, target);
    const handle = (await open.apply(this, args)) as Record<string, AsyncFn>;
    if (!counted) return handle;
    for (const op of ['writeFile', 'write', 'sync', 'truncate']) {
      const original = handle[op]!.bind(handle);
      handle[op] = (...inner: unknown[]) => {
        step(`handle.${op}`, target);
        return original(...inner);
      };
    }
    return handle;
  };
  if (config.haproxySocket !== undefined) wrapHaproxySocket(config.haproxySocket, step);
}

/** writeFile(path, data[, options]) that empties an existing file before it writes (flag `w`, the default). */
function truncatesInPlace(args: unknown[]): boolean {
  const [target, data, options] = args;
  if (typeof target !== 'string' || !(typeof data === 'string' || Buffer.isBuffer(data))) return false;
  const flag = typeof options === 'object' && options !== null ? (options as { flag?: unknown }).flag : undefined;
  return flag === undefined || flag === 'w';
}

/**
 * An in-place writeFile as two counted steps, as the system calls run it: open (which truncates),
 * then the data. A kill between them leaves the empty file a real SIGKILL can leave.
 */
async function writeInPlace(open: AsyncFn, args: unknown[], beforeData: () => void): Promise<void> {
  const [target, data, options] = args as [string, string | Buffer, unknown];
  const settings =
    typeof options === 'object' && options !== null ? (options as { mode?: number; encoding?: BufferEncoding }) : {};
  const encoding = typeof options === 'string' ? (options as BufferEncoding) : settings.encoding;
  const handle = (await open(target, 'w', settings.mode ?? 0o666)) as Record<string, AsyncFn>;
  try {
    beforeData();
    await handle.writeFile!(data, encoding === undefined ? {} : { encoding });
  } finally {
    await handle.close!();
  }
}

/** Counts each command written to the HAProxy runtime socket, before it is written. */
function wrapHaproxySocket(socketPath: string, step: (op: string, target: string) => void): void {
  const connect = net.connect as unknown as (...args: unknown[]) => net.Socket;
  const wrapped = (...args: unknown[]): net.Socket => {
    const options = args[0] as { path?: unknown } | undefined;
    const socket = connect(...args);
    if (options?.path !== socketPath) return socket;
    // sendRequest() sends its one command with end(request); count write() too.
    for (const method of ['write', 'end'] as const) {
      const original = (socket[method] as (...inner: unknown[]) => unknown).bind(socket);
      (socket as unknown as Record<string, unknown>)[method] = (...inner: unknown[]) => {
        if (typeof inner[0] === 'string' || Buffer.isBuffer(inner[0])) {
          const text = String(inner[0]).replace(/^set severity-output number;\s*/, '');
          step(`haproxy:${text.split(/\s+/).slice(0, 3).join('-')}`, socketPath);
        }
        return original(...inner);
      };
    }
    return socket;
  };
  (net as unknown as Record<string, unknown>).connect = wrapped;
  (net as unknown as Record<string, unknown>).createConnection = wrapped;
}

const raw = process.env[CRASH_AGENT_ENV];
if (raw !== undefined && raw !== '') installCrashAgent(JSON.parse(raw) as CrashAgentConfig);
