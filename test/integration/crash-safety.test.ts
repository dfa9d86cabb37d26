/**
 * Crash safety: `acme issue` and `acme renew --force` killed with SIGKILL, at
 * every file-system and HAProxy step they take (crashAgent.ts counts them and kills just before
 * step n) and at random moments over the whole run. After each kill: every file parses, every
 * version is complete with a matching key, the current link is complete, the bundle is the old or
 * the new one, HAProxy serves the old or the new one; then the next run (the same `acme issue`,
 * or a plain `acme renew` as a timer would start it) exits 0 with nothing left over, and HAProxy
 * serves what is on disk. Four lanes, each with its own pebble + HAProxy, run trials in parallel.
 * CRASH_SEED=<n> replays the random moments of a failed run; the seed is in every test name.
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLane, traceRun, runTrials, type Lane, type Trial, type TrialResult } from './_support/crashLane';
import { buildCrashAgent, seededRandom, snapshotCli } from './_support/crashRun';

const SEED = process.env.CRASH_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.CRASH_SEED);
const LANES = 4;
/** Random-moment trials per command; the step trials add one per traced step. */
const RANDOM_TRIALS = 24;

jest.setTimeout(300_000);

describe(`acme killed with SIGKILL (seed ${SEED})`, () => {
  let tmp: string;
  let lanes: Lane[] = [];
  const random = seededRandom(SEED);
  const totals = { trials: 0, killed: 0, killedMs: 0, nextMs: 0 };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'haproxy-acme-crash-'));
    const cli = { agentPath: await buildCrashAgent(tmp), cliPath: await snapshotCli(tmp) };
    // Keep every lane that started, so that afterAll stops its peers even if another lane failed.
    const started = await Promise.allSettled(Array.from({ length: LANES }, (_, i) => startLane(i, cli, tmp)));
    lanes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });

  afterAll(async () => {
    await Promise.all(lanes.map((lane) => lane.peers.stop()));
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
    const mean = (ms: number): string => `${Math.round(ms / Math.max(1, totals.trials))} ms`;
    console.log(
      `crash-safety: ${totals.trials} trials, ${totals.killed} killed mid-run, seed ${SEED}; mean killed run ${mean(totals.killedMs)}, mean next run ${mean(totals.nextMs)}`,
    );
  });

  function expectNoProblems(results: TrialResult[]): void {
    totals.trials += results.length;
    totals.killed += results.filter((r) => r.killed).length;
    totals.killedMs += results.reduce((sum, r) => sum + r.killedMs, 0);
    totals.nextMs += results.reduce((sum, r) => sum + r.nextMs, 0);
    expect(results.flatMap((r) => r.problems)).toEqual([]);
  }

  /** One trial per step of a traced run, killed just before that step. */
  function stepTrials(base: Omit<Trial, 'label' | 'plan'>, steps: string[], what: string): Trial[] {
    return steps.map((step, i) => ({
      ...base,
      label: `${what} killed before step ${i + 1} (${step})`,
      plan: (agentFor) => ({ agent: agentFor(i + 1) }),
    }));
  }

  test('acme renew --force killed before each of its steps: certificate set, link, bundle, HAProxy swap, states, lock', async () => {
    const { steps } = await traceRun(lanes[0]!, { command: 'renew' }, 'renew');
    expect(steps.some((s) => s.startsWith('haproxy:set-ssl-cert'))).toBe(true);
    expectNoProblems(await runTrials(lanes, stepTrials({ command: 'renew' }, steps, 'renew --force'), 'r'));
  });

  test('acme issue on a new home killed before each of its steps: lock, account creation, certificate set, bundle, crt-list, HAProxy add', async () => {
    const { steps } = await traceRun(lanes[1]!, { command: 'issue', freshHome: true }, 'issue');
    expect(steps.some((s) => s.includes('account.json'))).toBe(true);
    // Killed after `commit ssl cert` of a NEW certificate, before `add ssl crt-list`: HAProxy holds
    // it but no bind lists it at runtime. The next run lists it again because our crt-list file
    // names it (deployCertificate's relistIfDropped); these trials found that defect.
    const commit = steps.findIndex((s) => s.startsWith('haproxy:commit-ssl-cert'));
    const listed = steps.findIndex((s) => s.startsWith('haproxy:add-ssl-crt-list'));
    expect(commit).toBeGreaterThan(0);
    expect(listed).toBeGreaterThan(commit);
    const trials = stepTrials({ command: 'issue', freshHome: true }, steps, 'first issue');
    expectNoProblems(await runTrials(lanes, trials, 'i'));
  });

  test('acme renew --force killed while it takes over a lock left by a dead process', async () => {
    const { steps } = await traceRun(lanes[2]!, { command: 'renew', staleLock: true }, 'stale');
    // Up to the link() that creates the new lock file: the takeover claim, the unlink, the temp write.
    // The first `link lock` fails (EEXIST); the last one creates the new lock.
    const lockSteps = steps.slice(0, steps.lastIndexOf('link lock') + 1);
    expect(lockSteps.filter((s) => s.startsWith('link'))).toEqual([
      'link lock',
      expect.stringMatching(/^link \.lock\.takeover-\d+$/),
      'link lock',
    ]);
    expectNoProblems(
      await runTrials(lanes, stepTrials({ command: 'renew', staleLock: true }, lockSteps, 'stale-lock takeover'), 's'),
    );
  });

  test('acme issue and acme renew --force killed at random moments over the whole run', async () => {
    const [renew, reissue, fresh] = await Promise.all([
      traceRun(lanes[0]!, { command: 'renew' }, 'renew-time'),
      traceRun(lanes[1]!, { command: 'issue' }, 'issue-time'),
      traceRun(lanes[2]!, { command: 'issue', freshHome: true }, 'fresh-time'),
    ]);
    const at = (ms: number): number => Math.round(random() * ms * 1.1);
    const trials: Trial[] = [];
    for (let i = 0; i < RANDOM_TRIALS; i += 1) {
      for (const [what, base, ms] of [
        ['renew --force', { command: 'renew' }, renew.ms],
        ['issue again', { command: 'issue' }, reissue.ms],
        ['first issue', { command: 'issue', freshHome: true }, fresh.ms],
      ] as const) {
        const afterMs = at(ms);
        trials.push({
          ...base,
          label: `${what} killed after ${afterMs} ms (full run ${ms} ms)`,
          plan: () => ({ afterMs }),
        });
      }
    }
    const results = await runTrials(lanes, trials, 't');
    // Most moments fall inside the run (up to 10% after it, on purpose: a finished run is a case too).
    expect(results.filter((r) => r.killed).length).toBeGreaterThan(trials.length / 2);
    expectNoProblems(results);
  });
});
