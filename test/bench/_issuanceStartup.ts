/**
 * Start-up cost of the CLI against bare Node: `acme --version` and `node -e 0`, run interleaved
 * (so that load on the machine hits both alike), wall time of each run from spawn to exit. Uses
 * hyperfine when it is installed, otherwise a bounded loop of its own. Runs are spawned
 * asynchronously: a blocked event loop would stop draining the peers' log pipes (pebble then
 * stalls on its next log line).
 */
import { spawn, spawnSync } from 'node:child_process';

const RUN_TIMEOUT_MS = 10_000;

/** Median wall times in ms and their ratio. */
export interface StartupSample {
  nodeMs: number;
  versionMs: number;
  ratio: number;
  runs: number;
  tool: 'hyperfine' | 'loop';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** One run's wall time in ms. @throws when the command fails or times out */
function wallOf(args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: 'ignore', timeout: RUN_TIMEOUT_MS });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      if (code !== 0) fail(new Error(`"node ${args.join(' ')}" exited ${code ?? signal}`));
      else done(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

function hasHyperfine(): boolean {
  return spawnSync('hyperfine', ['--version'], { stdio: 'ignore', timeout: RUN_TIMEOUT_MS }).status === 0;
}

/** Medians via hyperfine's JSON export. @throws when hyperfine fails */
function withHyperfine(cli: readonly string[], runs: number): StartupSample {
  const run = spawnSync(
    'hyperfine',
    [
      '-N',
      '--warmup',
      '3',
      '--runs',
      String(runs),
      '--export-json',
      '/dev/stdout',
      '--style',
      'none',
      `${process.execPath} -e 0`,
      `${process.execPath} ${cli.join(' ')} --version`,
    ],
    { encoding: 'utf8', timeout: RUN_TIMEOUT_MS * runs },
  );
  if (run.status !== 0) throw new Error(`hyperfine exited ${run.status ?? run.signal}: ${run.stderr}`);
  const start = run.stdout.indexOf('{');
  const results = (JSON.parse(run.stdout.slice(start)) as { results: { median: number }[] }).results;
  const [nodeMs, versionMs] = results.map((result) => result.median * 1000) as [number, number];
  return { nodeMs, versionMs, ratio: versionMs / nodeMs, runs, tool: 'hyperfine' };
}

/**
 * `cli`: the node arguments that run the CLI (launch flags and script). Measures `runs` runs of each (after 3 warm-up runs that fill Node's compile cache).
 * @throws when a run fails
 */
export async function measureStartup(cli: readonly string[], runs = 20): Promise<StartupSample> {
  if (hasHyperfine()) return withHyperfine(cli, runs);
  for (let i = 0; i < 3; i += 1) await wallOf([...cli, '--version']);
  const node: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    node.push(await wallOf(['-e', '0']));
    version.push(await wallOf([...cli, '--version']));
  }
  const [nodeMs, versionMs] = [median(node), median(version)];
  return { nodeMs, versionMs, ratio: versionMs / nodeMs, runs, tool: 'loop' };
}
