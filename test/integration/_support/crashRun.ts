/**
 * Running the real CLI so that it dies by SIGKILL: after a delay (a random moment), or just before
 * its n-th file-system or HAProxy step (crashAgent.ts, loaded with `node -r`). Also the seeded PRNG
 * the crash test draws its kill moments from, so that a printed seed replays a failure.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { CRASH_AGENT_ENV, type CrashAgentConfig } from './crashAgent';
import { CLI_PATH, recordTranscript } from './runAcme';

/** How one run ended. */
export interface CrashRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** How to end a run early. Default: let it finish. */
export interface KillPlan {
  /** SIGKILL from the parent after this many milliseconds. */
  afterMs?: number;
  /** The agent's SIGKILL just before counted step `killAt`; needs `agent`. */
  agent?: CrashAgentConfig;
}

/** Hard limit of one CLI run; the lanes' lock timeout is far below it. */
const RUN_TIMEOUT_MS = 90_000;

/** Transpiles crashAgent.ts into `dir` (once per test file) and returns the .js path for `node -r`. */
export async function buildCrashAgent(dir: string): Promise<string> {
  const source = await readFile(join(__dirname, 'crashAgent.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'crashAgent.js');
  await writeFile(path, outputText);
  return path;
}

/**
 * Copies dist/ into `dir` (with a node_modules link) and returns its main.js: hundreds of runs
 * then use one build, even if dist/ is rebuilt while they run.
 */
export async function snapshotCli(dir: string): Promise<string> {
  const root = join(dirname(CLI_PATH), '..');
  await cp(dirname(CLI_PATH), join(dir, 'dist'), { recursive: true });
  // main.js reads ../package.json for --version.
  await cp(join(root, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'dist', 'main.js');
}

/** The CLI that runToCrash() starts: dist/main.js, or a snapshot of it (snapshotCli). */
export interface CrashCli {
  agentPath: string;
  cliPath: string;
}

/** Runs `node -r agent <cli> <args>` and kills it as `plan` says; its output goes to the secrets transcript. */
export function runToCrash(args: string[], cli: CrashCli, plan: KillPlan = {}): Promise<CrashRun> {
  const started = Date.now();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (plan.agent !== undefined) env[CRASH_AGENT_ENV] = JSON.stringify(plan.agent);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', cli.agentPath, cli.cliPath, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    const timer = plan.afterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), plan.afterMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      recordTranscript(args, code, { stdout, stderr });
      done({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The numbered steps a run took (`<n> <op> <path>` lines the agent traced), as `<op> <path>`. */
export async function traceSteps(traceFile: string): Promise<string[]> {
  const text = await readFile(traceFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(line.indexOf(' ') + 1));
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
