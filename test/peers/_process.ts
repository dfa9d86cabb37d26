import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bytes of each child's output kept in memory for error messages. */
const OUTPUT_TAIL_BYTES = 16_384;
/** How long `stopChild()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** How long `stopChild()` waits after SIGKILL before it gives up. */
const KILL_WAIT_MS = 2_000;

/** A child process started by the harness, with the tail of its output. */
export interface TrackedChild {
  name: string;
  process: ChildProcess;
  /** Last bytes of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** Resolves when the process has exited (immediately if it already has). */
  exited(): Promise<void>;
}

/** Options of `spawnTracked()`. */
export interface SpawnTrackedOptions {
  /** Extra environment variables on top of `process.env`. Default: none. */
  env?: Record<string, string>;
  /** Directory that receives `<name>.log`. Default: none. */
  logDir?: string;
  /** Run as this user and group (a server that refuses to run as root). Default: ours. */
  uid?: number;
  gid?: number;
}

// Every live child of every peer set in this process: the exit handler kills them all.
const liveChildren = new Set<ChildProcess>();
let handlersInstalled = false;

/** Sends SIGKILL to every live child; synchronous, so it works inside `process.on('exit')`. */
function killAllSync(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

/**
 * Without a listener, SIGINT/SIGTERM would end this process without an 'exit' event and leave the
 * children running. When we are the only listener: kill them, then die by the same signal. When
 * someone else listens (jest, the demo CLI), they own the shutdown and 'exit' is the safety net.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killAllSync();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Spawns `argv` (`[command, ...args]`, no shell) and tracks it so that it never outlives this process. */
export function spawnTracked(
  name: string,
  argv: readonly [string, ...string[]],
  options: SpawnTrackedOptions = {},
): TrackedChild {
  installHandlers();
  const [command, ...args] = argv;
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  liveChildren.add(child);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exit.then(() => liveChildren.delete(child));
  let tail = '';
  const log = options.logDir === undefined ? undefined : fs.createWriteStream(path.join(options.logDir, `${name}.log`));
  const onData = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    log?.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('error', (err) => onData(Buffer.from(`spawn error: ${err.message}\n`)));
  void exit.then(() => log?.end());
  return { name, process: child, output: () => tail, exited: () => exit };
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return done;
}

/** Stops a child: SIGTERM, then SIGKILL after 3 s; never waits more than 5 s in total. */
export async function stopChild(child: TrackedChild): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null || child.process.pid === undefined) return;
  child.process.kill('SIGTERM');
  if (await settlesWithin(child.exited(), STOP_GRACE_MS)) return;
  child.process.kill('SIGKILL');
  await settlesWithin(child.exited(), KILL_WAIT_MS);
}

/** Whether the child has already exited (or failed to spawn). */
export function hasExited(child: TrackedChild): boolean {
  return child.process.exitCode !== null || child.process.signalCode !== null || child.process.pid === undefined;
}
