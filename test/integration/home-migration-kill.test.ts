/**
 * The layout-2 migration of a home written by the previous release (test/fixtures/homes/layout1),
 * killed with a real SIGKILL. `acme deploy` on a copy of the fixture, against a real HAProxy of its
 * own, is traced once (crashAgent.ts numbers every call that changes a file under the home or the
 * crt-list), then run once per traced step on a fresh copy and a fresh HAProxy, killed just before
 * that step: the home lock, each file the migration rewrites (temp file, data, fsync, chmod,
 * rename), `layout.json`, then the deploy's own writes. After each kill the home must read, and
 * the same `acme deploy` run again must finish the work: exit 0, layout 2, every deploy file
 * node-keyed with this node's endpoints also at the top level (what the previous release reads),
 * every stored file byte-identical to the fixture, no temp or lock file left, and HAProxy serving
 * the fixture's certificates.
 */
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { servedSerial, startStandaloneHaproxy, type StandaloneHaproxy } from '../peers';
import { LEFTOVER_NAME } from './_support/crashHome';
import { buildCrashAgent, runToCrash, snapshotCli, traceSteps, type CrashCli } from './_support/crashRun';

const FIXTURE = join(__dirname, '..', 'fixtures', 'homes', 'layout1');
const NODE = 'layout1-node';
const CERTIFICATES = [
  { name: 'alpha.example.test', serial: '40ACE159B3D1C9F4' },
  { name: 'beta.example.test', serial: '7A3C81C0229201C1' },
];
const ALPHA_DEPLOY = `deploy/${CERTIFICATES[0]!.name}.json`;
/** The HAProxy the previous release deployed alpha to (gone since): its record must survive. */
const OLD_ENDPOINT = 'unix@/tmp/haproxy-acme-standalone-HC8FxN/admin.sock';
/** Files no command may change: accounts, certificate versions and links, bundles, renewal state. */
const STORED = /^(accounts|certificates|haproxy|renewal)\//;
/** Far below the 30 s after which a lock is stale: the killed run's lock must be taken over, not waited out. */
const LOCK_TIMEOUT_MS = 10_000;
/** A deploy of two certificates takes about 40 file steps; more means the trace went wrong. */
const MAX_KILL_POINTS = 80;
/** Trials run two at a time, each with its own home and HAProxy. */
const PARALLEL = 2;

jest.setTimeout(240_000);

/** Every regular file (as bytes) and symlink (as `-> target`) under `root`, and the leftovers of atomic writes. */
interface Tree {
  files: Map<string, Buffer>;
  leftovers: string[];
}

async function readTree(root: string): Promise<Tree> {
  const files = new Map<string, Buffer>();
  const leftovers: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > 8) return;
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const stat = await lstat(path);
      if (LEFTOVER_NAME.test(name)) leftovers.push(relative(root, path));
      if (stat.isDirectory()) await walk(path, depth + 1);
      else if (stat.isSymbolicLink()) files.set(relative(root, path), Buffer.from(`-> ${await readlink(path)}`));
      else if (stat.isFile()) files.set(relative(root, path), await readFile(path));
    }
  }
  await walk(root, 0);
  return { files, leftovers };
}

/** Git keeps no modes: 0700 directories and 0600 files, as the previous release wrote them. */
async function restoreModes(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const stat = await lstat(path);
    if (stat.isDirectory()) await restoreModes(path);
    else if (stat.isFile()) await chmod(path, 0o600);
  }
}

/** A fresh copy of the fixture and a fresh HAProxy with an empty crt-list. */
interface Stage {
  home: string;
  haproxy: StandaloneHaproxy;
}

async function stage(dir: string): Promise<Stage> {
  await mkdir(dir, { recursive: true });
  const home = join(dir, 'home');
  await cp(FIXTURE, home, { recursive: true, verbatimSymlinks: true });
  await restoreModes(home);
  return { home, haproxy: await startStandaloneHaproxy() };
}

function deployArgs({ home, haproxy }: Stage): string[] {
  return [
    'deploy',
    '--json',
    '--home',
    home,
    '--node',
    NODE,
    '--haproxy-socket',
    haproxy.adminSocket,
    '--haproxy-crt-list',
    haproxy.crtList,
    '--lock-timeout',
    String(LOCK_TIMEOUT_MS),
  ];
}

function agentFor({ home, haproxy }: Stage): { watch: string[] } {
  return { watch: [home, haproxy.crtList] };
}

type Json = Record<string, unknown>;

/** `value` as JSON with every object's keys sorted: a rewrite may order the keys of a record differently. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Problems of the stored files against the fixture's: changed or gone. */
function storedProblems(fixture: Map<string, Buffer>, now: Map<string, Buffer>): string[] {
  return [...fixture.entries()]
    .filter(([file]) => STORED.test(file))
    .flatMap(([file, bytes]) => {
      const after = now.get(file);
      if (after === undefined) return [`"${file}" is gone`];
      return after.equals(bytes) ? [] : [`"${file}" changed`];
    });
}

/**
 * What must hold right after a kill: every JSON file parses; layout.json is absent or layout 2, and
 * once it is there every deploy file is node-keyed (it is written last); each deploy file is either
 * the fixture's or a node-keyed one that keeps the fixture's record under this node and at the top.
 */
function killedHomeProblems(fixture: Map<string, Buffer>, now: Map<string, Buffer>): string[] {
  const problems = storedProblems(fixture, now);
  for (const [file, bytes] of now) {
    if (file.endsWith('.json') && parseJson(bytes.toString('utf8')) === undefined)
      problems.push(`"${file}" is not a JSON object: ${JSON.stringify(bytes.toString('utf8').slice(0, 80))}`);
  }
  const layout = now.get('layout.json');
  const migrated = layout !== undefined;
  if (migrated && parseJson(layout.toString('utf8'))?.layout !== 2)
    problems.push(`layout.json is ${JSON.stringify(layout.toString('utf8'))}`);
  const old = fixtureRecord(fixture);
  for (const [file, bytes] of now) {
    if (!/^deploy\/[^/]+\.json$/.test(file)) continue;
    const document = parseJson(bytes.toString('utf8'));
    if (document === undefined) continue;
    const unchanged = fixture.get(file)?.equals(bytes) === true;
    if (unchanged && migrated) problems.push(`"${file}" is still in the old form although layout.json says 2`);
    if (!unchanged) problems.push(...nodeKeyedProblems(file, document, file === ALPHA_DEPLOY ? old : undefined));
  }
  return problems;
}

/** The previous release's record of alpha on its (gone) HAProxy. */
function fixtureRecord(fixture: Map<string, Buffer>): unknown {
  const document = parseJson(fixture.get(ALPHA_DEPLOY)?.toString('utf8') ?? '');
  return (document?.endpoints as Json | undefined)?.[OLD_ENDPOINT];
}

/** A deploy file in the layout-2 form: `nodes` with this node only, its endpoints again at the top. */
function nodeKeyedProblems(file: string, document: Json, oldRecord: unknown): string[] {
  const nodes = document.nodes as Record<string, { endpoints?: Json }> | undefined;
  if (nodes === undefined) return [`"${file}" has no "nodes": ${JSON.stringify(document)}`];
  const problems: string[] = [];
  if (Object.keys(nodes).join() !== NODE) problems.push(`"${file}" names the nodes ${Object.keys(nodes).join()}`);
  const endpoints = nodes[NODE]?.endpoints;
  if (canonical(document.endpoints) !== canonical(endpoints))
    problems.push(`"${file}": the top-level "endpoints" are not this node's: ${JSON.stringify(document)}`);
  if (oldRecord !== undefined && canonical(endpoints?.[OLD_ENDPOINT]) !== canonical(oldRecord))
    problems.push(`"${file}" lost the previous release's record of ${OLD_ENDPOINT}: ${JSON.stringify(document)}`);
  return problems;
}

/** What must hold once the next run finished: layout 2, both deploy files node-keyed and deployed here. */
function settledProblems(fixture: Map<string, Buffer>, tree: Tree, s: Stage): string[] {
  const problems = storedProblems(fixture, tree.files);
  if (tree.leftovers.length > 0) problems.push(`leftovers: ${tree.leftovers.join(', ')}`);
  if (tree.files.has('lock')) problems.push('the lock file is still there');
  const layout = tree.files.get('layout.json')?.toString('utf8');
  if (parseJson(layout ?? '')?.layout !== 2) problems.push(`layout.json is ${JSON.stringify(layout)}`);
  for (const { name, serial } of CERTIFICATES) {
    const file = `deploy/${name}.json`;
    const document = parseJson(tree.files.get(file)?.toString('utf8') ?? '');
    if (document === undefined) {
      problems.push(`"${file}" is missing or not JSON`);
      continue;
    }
    problems.push(...nodeKeyedProblems(file, document, file === ALPHA_DEPLOY ? fixtureRecord(fixture) : undefined));
    const here = ((document.nodes as Record<string, { endpoints?: Json }>)[NODE]?.endpoints ?? {})[
      `unix@${s.haproxy.adminSocket}`
    ] as { status?: string; serial?: string } | undefined;
    if (here?.status !== 'deployed' || here.serial !== serial)
      problems.push(`"${file}" does not record ${serial} as deployed to this HAProxy: ${JSON.stringify(here)}`);
  }
  return problems;
}

async function servedProblems(s: Stage): Promise<string[]> {
  const problems: string[] = [];
  for (const { name, serial } of CERTIFICATES) {
    const served = await servedSerial(s.haproxy.httpsPort, name).catch((error: Error) => `error (${error.message})`);
    if (served !== serial) problems.push(`HAProxy serves ${served} for ${name}, not ${serial}`);
  }
  return problems;
}

describe('the layout-2 migration of a previous-release home, killed with SIGKILL before each step of acme deploy', () => {
  let tmp: string;
  let cli: CrashCli;
  let fixture: Map<string, Buffer>;
  let steps: string[] = [];
  let traceMs = 0;
  const stages: Stage[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'haproxy-acme-migration-kill-'));
    // A snapshot of dist/: every run uses one build, even if dist/ is rebuilt meanwhile.
    cli = { agentPath: await buildCrashAgent(tmp), cliPath: await snapshotCli(tmp) };
    fixture = (await readTree(FIXTURE)).files;
    const traced = await stage(join(tmp, 'trace'));
    stages.push(traced);
    const traceFile = join(tmp, 'trace.txt');
    const run = await runToCrash(deployArgs(traced), cli, { agent: { ...agentFor(traced), traceFile } });
    if (run.code !== 0) throw new Error(`The traced acme deploy exited ${run.code}: ${run.stderr.slice(-2000)}`);
    traceMs = run.ms;
    steps = (await traceSteps(traceFile)).map((step) =>
      step.replaceAll(`${traced.home}/`, '').replaceAll(traced.haproxy.workDir, '<haproxy>'),
    );
  });

  afterAll(async () => {
    await Promise.all(stages.map((s) => s.haproxy.stop()));
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  test('the traced run migrates the deploy file atomically and writes layout.json after it', () => {
    const rewrite = steps.indexOf(`rename ${ALPHA_DEPLOY}`);
    const layout = steps.indexOf('rename layout.json');
    expect({
      rewrite: rewrite >= 0,
      layoutAfterRewrite: layout > rewrite,
      // Before the layout marker, only the lock and the migration's temp files, renamed into place.
      writesInPlace: steps
        .slice(0, layout)
        .filter((s) => /^(writeFile|appendFile|truncate|handle\.truncate|open:(?!wx ))/.test(s)),
      bounded: steps.length > layout && steps.length <= MAX_KILL_POINTS,
    }).toEqual({ rewrite: true, layoutAfterRewrite: true, writesInPlace: [], bounded: true });
  });

  test('killed before each traced step, the next acme deploy finishes the migration and the deploy', async () => {
    expect(steps.length).toBeGreaterThan(0);
    const problems: string[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let killAt = ++next; killAt <= steps.length; killAt = ++next) {
        const label = `killed before step ${killAt} (${steps[killAt - 1]})`;
        problems.push(...(await trial(killAt)).map((p) => `${label}: ${p}`));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    console.log(`home-migration-kill: ${steps.length} kill points; full run ${traceMs} ms`);
    expect(problems).toEqual([]);
  });

  async function trial(killAt: number): Promise<string[]> {
    const s = await stage(join(tmp, `kill-${killAt}`));
    try {
      const killed = await runToCrash(deployArgs(s), cli, { agent: { ...agentFor(s), killAt } });
      const problems: string[] = [];
      if (killed.signal !== 'SIGKILL')
        problems.push(`the run was not killed: exit ${killed.code}: ${killed.stderr.slice(-600)}`);
      problems.push(...killedHomeProblems(fixture, (await readTree(s.home)).files).map((p) => `after the kill: ${p}`));
      const again = await runToCrash(deployArgs(s), cli);
      if (again.code !== 0) problems.push(`the next run exited ${again.code}: ${again.stderr.slice(-1500)}`);
      problems.push(...settledProblems(fixture, await readTree(s.home), s).map((p) => `after the next run: ${p}`));
      const crtListDir = (await readTree(s.haproxy.workDir)).leftovers;
      if (crtListDir.length > 0) problems.push(`leftovers next to the crt-list: ${crtListDir.join(', ')}`);
      problems.push(...(await servedProblems(s)));
      return problems;
    } finally {
      await s.haproxy.stop();
      await rm(join(tmp, `kill-${killAt}`), { recursive: true, force: true });
    }
  }
});
