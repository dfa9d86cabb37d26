/**
 * Responder benchmark: the HTTP-01 responder alone in a child process (the built
 * `dist/challenge`, `npm run build` first), so /proc/<pid>/status measures only its memory.
 * The child prints `listening <port>` once bound and `connections <n>` every 200 ms; on SIGUSR2
 * it collects garbage and prints `heap <bytes used>`; SIGTERM stops it. The key authorization
 * reaches it through the environment, never argv.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryOf } from './_cli';

const DIST = resolve(__dirname, '..', '..', 'dist');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** The child: a ChallengeResponder exactly as src/main.ts builds it (defaults), one token presented. */
const CHILD_SOURCE = `
const { ChallengeResponder } = require(process.argv[1] + '/challenge');
const { silentLogger } = require(process.argv[1] + '/log');
(async () => {
  const responder = new ChallengeResponder({ address: { kind: 'tcp', host: '127.0.0.1', port: Number(process.argv[2]) }, logger: silentLogger });
  const release = await responder.acquire();
  await responder.present(process.env.BENCH_TOKEN, process.env.BENCH_KEY_AUTHORIZATION);
  process.stdout.write('listening ' + responder.address().port + '\\n');
  const timer = setInterval(() => process.stdout.write('connections ' + responder.openConnections() + '\\n'), 200);
  process.on('SIGUSR2', () => { global.gc(); process.stdout.write('heap ' + process.memoryUsage().heapUsed + '\\n'); });
  process.once('SIGTERM', () => { clearInterval(timer); release().then(() => process.exit(0)); });
})().catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
`;

/** A running responder child. */
export interface ResponderChild {
  pid: number;
  port: number;
  /** The highest `connections` count it reported since the last reset. */
  peakConnections(): number;
  /** The last `connections` count it reported. */
  connections(): number;
  resetPeak(): void;
  /** Collects garbage in the child and returns its V8 heap in use, in bytes. */
  heapUsed(): Promise<number>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the child on `port` (a free one, picked by the caller) serving `token`. */
export async function startResponderChild(
  port: number,
  token: string,
  keyAuthorization: string,
): Promise<ResponderChild> {
  if (!existsSync(resolve(DIST, 'challenge', 'index.js')))
    throw new Error(`Cannot start the responder benchmark: "${DIST}/challenge" is missing; run "npm run build" first`);
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '-e', CHILD_SOURCE, DIST, String(port)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BENCH_TOKEN: token, BENCH_KEY_AUTHORIZATION: keyAuthorization },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let last = 0;
  let heaps = 0;
  let heap = NaN;
  let peak = 0;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const match of chunk.toString('utf8').matchAll(/^connections (\d+)$/gm)) {
      last = Number(match[1]);
      peak = Math.max(peak, last);
    }
    for (const match of chunk.toString('utf8').matchAll(/^heap (\d+)$/gm)) {
      heap = Number(match[1]);
      heaps += 1;
    }
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Bounded poll: at most START_TIMEOUT_MS / 50 iterations.
  while (!/^listening \d+$/m.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`Cannot start the responder child within ${START_TIMEOUT_MS} ms; output: ${output.slice(-1000)}`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid!,
    port,
    connections: () => last,
    peakConnections: () => peak,
    resetPeak: () => (peak = last),
    heapUsed: async () => {
      const before = heaps;
      child.kill('SIGUSR2');
      // Bounded poll: at most 100 × 20 ms.
      for (let i = 0; i < 100 && heaps === before; i += 1) await sleep(20);
      return heap;
    },
    stop: async () => {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(STOP_TIMEOUT_MS, 'timeout' as const)]);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Samples the child's VmRSS every `intervalMs` until stop(); reports the peak in KiB. */
export function sampleRss(pid: number, intervalMs = 200): { stop(): Promise<number> } {
  let peakKb = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peakKb = Math.max(peakKb, (await memoryOf(pid)).rssKb);
      await sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peakKb;
    },
  };
}
