/**
 * In-place adoption end to end: the real Debian lego 4.9.1 obtains a certificate from real pebble
 * with `--path` set to what then becomes our `--home` (as a snap that ran lego in
 * `$SNAP_COMMON/acme` does), a wrapper's `haproxy/cert.crt` symlinks included. Then `acme renew`
 * (nothing due) adopts lego's account and certificate in that very home: exit 0, same serial, no
 * new order at pebble, every lego file byte-identical, HAProxy serves the serial; `lego renew` in
 * the same home still works, and the next `acme renew` adopts lego's newer certificate. Finally
 * `acme renew` is killed (SIGKILL) before each of its file-system steps on a copy of the lego-only
 * home, and the next `acme renew` reaches the same end state every time.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startPeers, type Peers } from '../peers';
import { buildCrashAgent, runToCrash, snapshotCli, traceSteps, type CrashCli } from './_support/crashRun';
import { runAcme } from './_support/runAcme';

/** lego polls with sleeps: one HTTP-01 order takes 5-15 s on a quiet machine. */
const LEGO_TIMEOUT_MS = 180_000;
const EMAIL = 'admin@example.test';
/** Kill trials at most, whatever the trace holds; bounds the test's time. */
const MAX_KILL_TRIALS = 80;

jest.setTimeout(600_000);

function runLego(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'lego',
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        timeout: LEGO_TIMEOUT_MS,
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toUpperCase();

/** Is this path (relative to the home) one of lego's, or of the wrapper's symlinks? */
function isLegoPath(relative: string, isFile: boolean): boolean {
  if (relative.includes('@')) return true;
  if (relative.startsWith('haproxy/cert.crt')) return true;
  return relative.startsWith('certificates/') && !relative.slice('certificates/'.length).includes('/') && isFile;
}

/** Every lego file and link under `home` with a digest of its content (or its target), sorted. */
async function legoDigest(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const relative = path.slice(home.length + 1);
    if (!isLegoPath(relative, entry.isFile())) continue;
    if (entry.isSymbolicLink()) out.push(`${relative} -> ${(await readlink(path)).replace(home, '<home>')}`);
    else if (entry.isFile())
      out.push(
        `${relative} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`,
      );
    else out.push(`${relative}/`);
  }
  return out.sort();
}

describe('acme adopts, in place, a home the real lego wrote', () => {
  let peers: Peers;
  let work: string;
  let home: string;
  /** The home as lego left it, before any acme command: the kill trials start from copies of it. */
  let pristine: string;
  let legoSerial: string;
  let legoAccountUrl: string;
  const name = `adopt-${process.pid}.example.test`;
  const server = (): string => new URL(peers.directoryUrl).host.replace(':', '_');
  /** The flags of a state-changing command; `acme list` takes neither --email nor (here) --haproxy-socket. */
  const common = (at: string, crtList: string, withSocket = true): string[] => [
    '--home',
    at,
    '--directory',
    peers.directoryUrl,
    '--ca-bundle',
    peers.caBundlePath,
    '--haproxy-crt-list',
    crtList,
    ...(withSocket ? ['--haproxy-socket', peers.haproxyAdminSocket, '--email', EMAIL] : []),
  ];
  const legoArgs = (at: string): string[] => [
    '--server',
    peers.directoryUrl,
    '--accept-tos',
    '--email',
    EMAIL,
    '--domains',
    name,
    '--http',
    '--http.port',
    `127.0.0.1:${peers.responderPort}`,
    '--path',
    at,
  ];

  /** Orders pebble has been asked for so far, from its log. */
  async function ordersPlaced(): Promise<number> {
    const log = await readFile(join(work, 'logs', 'pebble.log'), 'utf8');
    return (log.match(/\/order-plz -> calling handler\(\)/g) ?? []).length;
  }

  async function listed(at: string, crtList: string): Promise<Array<[string, string, string | null]>> {
    const run = await runAcme(['list', '--json', ...common(at, crtList, false)]);
    return JSON.parse(run.stdout).certificates.map(
      (c: { name: string; serial: string; adoptedFrom: string | null }) => [c.name, c.serial, c.adoptedFrom],
    );
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'haproxy-acme-adopt-lego-'));
    peers = await startPeers({ logDir: join(work, 'logs') });
    home = join(work, 'home');
    const run = await runLego([...legoArgs(home), 'run'], { LEGO_CA_CERTIFICATES: peers.caBundlePath });
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-2000) }).toEqual({ code: 0, output: '' });
    // What the snap's wrapper makes before starting HAProxy: absolute links to lego's files.
    await mkdir(join(home, 'haproxy'), { mode: 0o700 });
    await symlink(join(home, 'certificates', `${name}.crt`), join(home, 'haproxy', 'cert.crt'));
    await symlink(join(home, 'certificates', `${name}.key`), join(home, 'haproxy', 'cert.crt.key'));
    pristine = join(work, 'pristine');
    await cp(home, pristine, { recursive: true, verbatimSymlinks: true });
    legoSerial = serialOf(await readFile(join(home, 'certificates', `${name}.crt`), 'utf8'));
    legoAccountUrl = JSON.parse(await readFile(join(home, 'accounts', server(), EMAIL, 'account.json'), 'utf8'))
      .registration.uri;
  }, LEGO_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await peers?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('acme list in the lego home exits 0 and says what is not adopted yet; it writes nothing', async () => {
    const before = await legoDigest(home);
    const list = await runAcme(['list', ...common(home, peers.haproxyCrtList, false)]);
    const json = await runAcme(['list', '--json', ...common(home, peers.haproxyCrtList, false)]);
    expect({
      code: [list.code, json.code],
      text: list.stdout.split('\n').filter((line) => line.startsWith('lego')),
      lego: JSON.parse(json.stdout).lego.notAdopted.map((c: { legoName: string; serial: string }) => [
        c.legoName,
        c.serial,
      ]),
      files: (await readdir(home)).sort(),
      unchanged: await legoDigest(home),
    }).toEqual({
      code: [0, 0],
      text: [
        `lego account not adopted yet: ${legoAccountUrl}; the next "acme renew" (or "acme import lego") adopts it, with no new order`,
        expect.stringContaining(`lego certificate not adopted yet: "${name}" (serial ${legoSerial}`),
      ],
      lego: [[name, legoSerial]],
      files: ['accounts', 'certificates', 'haproxy'],
      unchanged: before,
    });
  });

  test("acme renew (nothing due) adopts lego's account and certificate in place: exit 0, same serial, no new order, lego's files byte-identical, HAProxy serves it", async () => {
    const before = await legoDigest(home);
    const orders = await ordersPlaced();
    const run = await runAcme(['renew', '--json', ...common(home, peers.haproxyCrtList)]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const account = JSON.parse(await readFile(join(home, 'accounts', server(), 'dir', 'account.json'), 'utf8'));
    expect({
      outcomes: JSON.parse(run.stdout).certificates.map(
        (c: { name: string; renewed?: unknown; decision: { due: boolean } }) => [
          c.name,
          c.renewed === undefined,
          c.decision.due,
        ],
      ),
      logged: run.stderr.split('\n').filter((line) => /Imported (the lego account|a lego certificate)/.test(line))
        .length,
      listed: await listed(home, peers.haproxyCrtList),
      account: account.accountUrl,
      orders: (await ordersPlaced()) - orders,
      lego: await legoDigest(home),
      served: await servedSerial(peers.haproxyHttpsPort, name),
    }).toEqual({
      outcomes: [[name, true, false]],
      logged: 2,
      listed: [[name, legoSerial, 'lego']],
      account: legoAccountUrl,
      orders: 0,
      lego: before,
      served: legoSerial,
    });
  });

  test('acme renew a second time adopts nothing and changes nothing', async () => {
    const run = await runAcme(['renew', ...common(home, peers.haproxyCrtList)]);
    expect([run.code, run.stderr.includes('Imported'), await listed(home, peers.haproxyCrtList)]).toEqual([
      0,
      false,
      [[name, legoSerial, 'lego']],
    ]);
  });

  test('lego renew in the same home still works, and the next acme renew adopts its newer certificate without an order of its own', async () => {
    const renewed = await runLego([...legoArgs(home), 'renew', '--days', '100000', '--no-random-sleep'], {
      LEGO_CA_CERTIFICATES: peers.caBundlePath,
    });
    expect({ code: renewed.code, output: renewed.code === 0 ? '' : renewed.output.slice(-2000) }).toEqual({
      code: 0,
      output: '',
    });
    const newSerial = serialOf(await readFile(join(home, 'certificates', `${name}.crt`), 'utf8'));
    const orders = await ordersPlaced();
    const before = await legoDigest(home);
    const run = await runAcme(['renew', ...common(home, peers.haproxyCrtList)]);
    expect({
      code: run.code,
      newSerial: newSerial === legoSerial,
      listed: await listed(home, peers.haproxyCrtList),
      orders: (await ordersPlaced()) - orders,
      lego: await legoDigest(home),
      served: await servedSerial(peers.haproxyHttpsPort, name),
    }).toEqual({
      code: 0,
      newSerial: false,
      listed: [[name, newSerial, 'lego']],
      orders: 0,
      lego: before,
      served: newSerial,
    });
  });

  describe('acme renew killed with SIGKILL before each of its file-system steps on a lego-only home', () => {
    let cli: CrashCli;

    beforeAll(async () => {
      const crash = join(work, 'crash');
      cli = { agentPath: await buildCrashAgent(crash), cliPath: await snapshotCli(crash) };
    });

    /** A fresh copy of the lego-only home and its own crt-list file. */
    async function trialHome(label: string): Promise<{ at: string; crtList: string }> {
      const at = join(work, 'trials', label, 'home');
      await cp(pristine, at, { recursive: true, verbatimSymlinks: true });
      // The wrapper's links point at the copy's own lego files, as they would in that home.
      await rm(join(at, 'haproxy'), { recursive: true, force: true });
      await mkdir(join(at, 'haproxy'), { mode: 0o700 });
      await symlink(join(at, 'certificates', `${name}.crt`), join(at, 'haproxy', 'cert.crt'));
      await symlink(join(at, 'certificates', `${name}.key`), join(at, 'haproxy', 'cert.crt.key'));
      const crtList = join(work, 'trials', label, 'crt-list.txt');
      await writeFile(crtList, '', { mode: 0o600 });
      return { at, crtList };
    }

    /** What a finished adoption leaves: the certificate, the account, one crt-list line, lego's files as they were, no temp. */
    async function endState(at: string, crtList: string): Promise<unknown> {
      const all = await readdir(at, { recursive: true });
      return {
        listed: await listed(at, crtList),
        account: JSON.parse(await readFile(join(at, 'accounts', server(), 'dir', 'account.json'), 'utf8')).accountUrl,
        crtList: await readFile(crtList, 'utf8'),
        temps: all.filter((path) => /\.tmp-[0-9a-f]+$/.test(path)),
        lego: await legoDigest(at),
      };
    }

    test('each killed run is finished by the next acme renew: same certificate, account, crt-list line, lego files untouched', async () => {
      const traced = await trialHome('trace');
      const traceFile = join(work, 'trials', 'trace', 'steps.txt');
      const agent = { watch: [traced.at, traced.crtList], traceFile };
      const first = await runToCrash(['renew', ...common(traced.at, traced.crtList, false)], cli, { agent });
      expect(first.code).toBe(0);
      const steps = await traceSteps(traceFile);
      const expected = { ...((await endState(traced.at, traced.crtList)) as object) };
      // The steps the adoption must survive: the account, the version directory, the link, the crt-list line.
      expect(steps.some((s) => s.includes('account.json'))).toBe(true);
      expect(steps.some((s) => s.includes('.versions'))).toBe(true);
      expect(steps.some((s) => s.includes('crt-list.txt'))).toBe(true);
      expect(expected).toMatchObject({ listed: [[name, legoSerial, 'lego']], account: legoAccountUrl, temps: [] });
      const problems: string[] = [];
      const trials = steps.slice(0, MAX_KILL_TRIALS);
      for (const [i, step] of trials.entries()) {
        const { at, crtList } = await trialHome(`k${i + 1}`);
        const killed = await runToCrash(['renew', ...common(at, crtList, false)], cli, {
          agent: { watch: [at, crtList], killAt: i + 1 },
        });
        if (killed.signal !== 'SIGKILL')
          problems.push(`step ${i + 1} (${step}): the run was not killed (exit ${killed.code})`);
        const next = await runAcme(['renew', ...common(at, crtList, false)]);
        if (next.code !== 0)
          problems.push(`step ${i + 1} (${step}): the next acme renew exited ${next.code}: ${next.stderr.slice(-500)}`);
        const state = await endState(at, crtList);
        if (
          JSON.stringify(state).split(at).join('<home>') !== JSON.stringify(expected).split(traced.at).join('<home>')
        ) {
          problems.push(`step ${i + 1} (${step}): ${JSON.stringify(state)}`);
        }
        await rm(join(work, 'trials', `k${i + 1}`), { recursive: true, force: true });
      }
      expect({ trials: trials.length > 20, problems }).toEqual({ trials: true, problems: [] });
    });
  });
});
