/**
 * One crash-test lane: its own pebble + HAProxy (test/peers; the HTTP-01 responder port and
 * HAProxy 2.6's single SSL transaction cannot be shared by runs in parallel), a `--home` with one
 * certificate, and the trial loop: kill a run, check the home, let the next run finish the work,
 * check again, including what HAProxy serves.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servedSerial, startPeers, type Peers } from '../../peers';
import { checkHome, currentSerial, normaliseSerial, snapshotCertificate } from './crashHome';
import { runToCrash, traceSteps, type CrashCli, type KillPlan } from './crashRun';
import type { CrashAgentConfig } from './crashAgent';

/** A lane: peers, a home holding `name`, and what a full run of each command looked like. */
export interface Lane {
  index: number;
  peers: Peers;
  home: string;
  name: string;
  cli: CrashCli;
  tmp: string;
}

/** One kill: what to run, where, and when to kill it. */
export interface Trial {
  /** Shown in failures, with the seed: e.g. `renew --force, step 31 symlink certificates/…`. */
  label: string;
  command: 'issue' | 'renew';
  /** Run in a new, empty home (account creation, first issue) rather than the lane's. */
  freshHome?: boolean;
  /** Put a lock file of a dead process in place first, so the run takes it over. */
  staleLock?: boolean;
  plan: (agentFor: (killAt?: number) => CrashAgentConfig) => KillPlan;
}

/** What one trial found. */
export interface TrialResult {
  killed: boolean;
  problems: string[];
  /** Wall time of the killed run and of the next run. */
  killedMs: number;
  nextMs: number;
}

/** Waits far less than a lock goes stale (30 s): a lock left by the killed run must not be waited out. */
const RECOVERY_LOCK_TIMEOUT_MS = 10_000;

const execFileAsync = promisify(execFile);

/** The CLI flags that point a run at the lane's peers. */
export function laneArgs(lane: Lane, home: string): string[] {
  const { peers } = lane;
  return [
    '--home',
    home,
    '--directory',
    peers.directoryUrl,
    '--ca-bundle',
    peers.caBundlePath,
    '--http-port',
    String(peers.responderPort),
    '--haproxy-socket',
    peers.haproxyAdminSocket,
    '--haproxy-crt-list',
    peers.haproxyCrtList,
    '--json',
  ];
}

/** Starts a lane's peers and issues its certificate. @throws when the first issuance fails */
export async function startLane(index: number, cli: CrashCli, tmp: string): Promise<Lane> {
  const peers = await startPeers();
  const home = await mkdtemp(join(tmp, `lane${index}-`));
  const lane = { index, peers, home, name: `lane${index}-${process.pid}.crash.test`, cli, tmp };
  const first = await runToCrash(['issue', '-d', lane.name, ...laneArgs(lane, home)], cli);
  if (first.code !== 0) {
    await peers.stop();
    throw new Error(`Cannot start crash lane ${index}: acme issue exited ${first.code}: ${first.stderr.slice(-2000)}`);
  }
  return lane;
}

/** Runs `command` once without a kill and returns the steps it took (traced) and how long it ran. */
export async function traceRun(
  lane: Lane,
  trial: Pick<Trial, 'command' | 'freshHome' | 'staleLock'>,
  tag: string,
): Promise<{ steps: string[]; ms: number }> {
  const home = trial.freshHome === true ? await mkdtemp(join(lane.tmp, 'trace-')) : lane.home;
  const name = trial.freshHome === true ? `trace-${tag}-${process.pid}.crash.test` : lane.name;
  if (trial.staleLock === true) await plantStaleLock(home);
  const traceFile = join(lane.tmp, `trace-${tag}.txt`);
  const run = await runToCrash(commandArgs(lane, trial.command, home, name, true), lane.cli, {
    agent: { ...agentConfig(lane, home), traceFile },
  });
  if (run.code !== 0)
    throw new Error(
      `Cannot trace ${trial.command} on lane ${lane.index}: exit ${run.code}: ${run.stderr.slice(-2000)}`,
    );
  const steps = (await traceSteps(traceFile)).map((step) =>
    step.replaceAll(`${home}/`, '').replaceAll(lane.peers.workDir, '<peers>'),
  );
  return { steps, ms: run.ms };
}

/** Watch every file under the home, the crt-list file, and the admin socket's commands. */
function agentConfig(lane: Lane, home: string): CrashAgentConfig {
  return { watch: [home, lane.peers.haproxyCrtList], haproxySocket: lane.peers.haproxyAdminSocket };
}

function commandArgs(lane: Lane, command: Trial['command'], home: string, name: string, killed: boolean): string[] {
  const common = laneArgs(lane, home);
  if (command === 'issue') return ['issue', '-d', name, ...common];
  // The killed run is forced; the next one is the plain timer run, which must finish what is owed.
  return killed
    ? ['renew', '--force', ...common]
    : ['renew', '--lock-timeout', String(RECOVERY_LOCK_TIMEOUT_MS), ...common];
}

/** A lock file as a process that died holding it leaves it (pid of a process that has exited). */
async function plantStaleLock(home: string): Promise<void> {
  const { stdout } = await execFileAsync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const now = new Date().toISOString();
  await writeFile(
    join(home, 'lock'),
    JSON.stringify({
      pid: Number(stdout),
      hostname: hostname(),
      acquiredAt: now,
      refreshedAt: now,
      command: 'acme renew',
    }),
    { mode: 0o600 },
  );
}

/** What HAProxy serves for `name`, or the handshake error. */
async function served(lane: Lane, name: string): Promise<string> {
  return servedSerial(lane.peers.haproxyHttpsPort, name).then(
    normaliseSerial,
    (error: Error) => `unreachable (${error.message})`,
  );
}

/** Kill, check, next run, check; the problems found, each prefixed with `where`. */
export async function runTrial(lane: Lane, trial: Trial, tag: string): Promise<TrialResult> {
  const home = trial.freshHome === true ? await mkdtemp(join(lane.tmp, `fresh-${tag}-`)) : lane.home;
  const name = trial.freshHome === true ? `fresh-${tag}-${process.pid}.crash.test` : lane.name;
  const before = new Map([[name, await snapshotCertificate(home, name)]]);
  const oldSerial = await currentSerial(home, name);
  if (trial.staleLock === true) await plantStaleLock(home);
  const problems: string[] = [];
  const killedRun = await runToCrash(
    commandArgs(lane, trial.command, home, name, true),
    lane.cli,
    trial.plan((killAt) => ({ ...agentConfig(lane, home), ...(killAt === undefined ? {} : { killAt }) })),
  );
  const killed = killedRun.signal === 'SIGKILL';
  if (!killed && killedRun.code !== 0)
    problems.push(`the run to kill exited ${killedRun.code} by itself: ${killedRun.stderr.slice(-600)}`);
  problems.push(...(await checkHome(home, { before, settled: false })));
  if (oldSerial !== undefined) {
    const now = await served(lane, name);
    const allowed = [oldSerial, await currentSerial(home, name)];
    if (!allowed.includes(now))
      problems.push(
        `after the kill HAProxy serves "${now}", neither the old "${oldSerial}" nor the stored "${allowed[1]}"`,
      );
  }
  const next = await runToCrash(commandArgs(lane, trial.command, home, name, false), lane.cli);
  if (next.code !== 0) problems.push(`the next run exited ${next.code}: ${next.stderr.slice(-1500)}`);
  problems.push(...(await checkHome(home, { before, settled: true })).map((p) => `after the next run: ${p}`));
  const disk = await currentSerial(home, name);
  const nowServed = await served(lane, name);
  if (nowServed !== disk)
    problems.push(`after the next run HAProxy serves "${nowServed}" but the stored certificate is "${disk}"`);
  if (trial.freshHome === true && problems.length === 0) await rm(home, { recursive: true, force: true });
  return {
    killed,
    problems: problems.map((p) => `[${tag}] ${trial.label}: ${p}`),
    killedMs: killedRun.ms,
    nextMs: next.ms,
  };
}

/** Runs each lane's trials in order, the lanes in parallel; trials go to lanes round-robin. */
export async function runTrials(lanes: Lane[], trials: Trial[], prefix: string): Promise<TrialResult[]> {
  const results: TrialResult[] = new Array(trials.length);
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = lane.index; i < trials.length; i += lanes.length)
        results[i] = await runTrial(lane, trials[i]!, `${prefix}${i}`);
    }),
  );
  return results;
}
