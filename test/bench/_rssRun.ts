/**
 * Timed child processes with their peak resident memory, for the upgrade benchmark: each run goes
 * through `/usr/bin/time -f`, which reports the child's maximum RSS on its last stderr line. Every
 * child has a timeout. Also the median of a few samples and the scenario's time budget.
 */
import { spawn } from 'node:child_process';

/** What one finished run produced: exit code, output, wall time and peak RSS (KiB). */
export interface RssRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  maxRssKb: number;
}

const RSS_MARK = 'BENCH_MAXRSS_KB=';

/** Runs `command args` under /usr/bin/time with only PATH plus `env`; killed after `timeoutMs`. Never rejects for a non-zero exit. */
export function rssRun(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<RssRun> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', `${RSS_MARK}%M`, command, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const at = stderr.lastIndexOf(RSS_MARK);
      const maxRssKb = at < 0 ? NaN : Number.parseInt(stderr.slice(at + RSS_MARK.length), 10);
      done({ code, stdout, stderr: at < 0 ? stderr : stderr.slice(0, at), wallMs, maxRssKb });
    });
  });
}

/** Like rssRun(), but rejects with the tail of stderr when the child does not exit 0. */
export async function rssRunOk(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<RssRun> {
  const run = await rssRun(command, args, options);
  if (run.code !== 0)
    throw new Error(`"${[command, ...args.slice(0, 2)].join(' ')} …" exited ${run.code}: ${run.stderr.slice(-1500)}`);
  return run;
}

/** Median, range and peak RSS of a few runs. */
export interface RunSummary {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  wallsMs: number[];
  peakRssKb: number;
}

/** Summarises at least one run: the median wall time (upper middle), its range, the highest peak RSS. */
export function summariseRuns(samples: Array<Pick<RssRun, 'wallMs' | 'maxRssKb'>>): RunSummary {
  if (samples.length === 0) throw new Error('Cannot summarise runs: no samples');
  const walls = samples.map((sample) => sample.wallMs);
  const sorted = [...walls].sort((a, b) => a - b);
  return {
    runs: samples.length,
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    wallsMs: walls.map((ms) => Math.round(ms)),
    peakRssKb: Math.max(...samples.map((sample) => sample.maxRssKb)),
  };
}

/** A wall-clock budget for a whole scenario: `check()` throws once it is spent. */
export class Budget {
  private readonly deadline: number;

  constructor(
    private readonly what: string,
    private readonly limitMs: number,
  ) {
    this.deadline = Date.now() + limitMs;
  }

  /** Milliseconds left, at least 1 s (a child's timeout). */
  leftMs(): number {
    return Math.max(1000, this.deadline - Date.now());
  }

  /** Throws when the budget is spent, naming the step that would have started. */
  check(step: string): void {
    if (Date.now() > this.deadline)
      throw new Error(
        `Cannot start "${step}": the ${this.what} took longer than its ${Math.round(this.limitMs / 1000)} s budget; see what ran slow above`,
      );
  }
}
