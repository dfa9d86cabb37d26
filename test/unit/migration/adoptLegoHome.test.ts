import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import type { HaproxyEndpoint } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { adoptLegoHome, decideLegoCertificate, hasLegoLayout, type LegoImportDeps } from '../../../src/migration';
import {
  type CertificateMeta,
  FileCrtList,
  FileDeployStateStore,
  FileRenewalStateStore,
  openFileBackend,
} from '../../../src/storage';
import {
  ADMIN_ACCOUNT_URL,
  LEGO_DIRECTORY,
  LEGO_FIXTURE,
  LEGO_NOW,
  LEGO_SERVER,
  ONE_SERIAL,
  TWO_SERIAL,
  WILD_SERIAL,
  FakeHaproxy,
} from './_lego';

let work: string;
let home: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'haproxy-acme-adopt-'));
  home = join(work, 'home');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** lego's fixture directory copied into `home`, as if lego's --path had been our --home. */
async function legoHome(): Promise<void> {
  await fsp.cp(LEGO_FIXTURE, home, { recursive: true });
}

function setup(options: { endpoints?: HaproxyEndpoint[]; crtList?: string } = {}) {
  const logger = new CapturingLogger();
  const clock = fixedClock(LEGO_NOW);
  const { store, bundles } = openFileBackend({ home, clock, logger });
  const deployState = new FileDeployStateStore({ home, node: 'node-1' });
  const deps: LegoImportDeps = {
    directoryUrl: LEGO_DIRECTORY,
    store,
    bundles,
    renewalState: new FileRenewalStateStore({ home }),
    deploy: {
      deployState,
      node: 'node-1',
      endpoints: options.endpoints ?? [],
      ...(options.crtList === undefined ? {} : { crtList: new FileCrtList(options.crtList) }),
    },
    clock,
    logger,
  };
  return { deps, store, logger, deployState };
}

/** Every lego file under `home` (accounts/<server>/<email>/…, regular files of certificates/) with its SHA-256. */
async function legoFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const relative = path.slice(home.length + 1);
    const lego =
      relative.includes('@') ||
      (relative.startsWith('certificates/') && !relative.slice(13).includes('/') && entry.isFile());
    if (!lego) continue;
    if (entry.isSymbolicLink()) out.push(`${relative} -> ${await readlink(path)}`);
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

/** Everything under `home` with a digest of its content or target. */
async function treeDigest(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) out.push(`${path} -> ${await readlink(path)}`);
    else if (entry.isFile())
      out.push(
        `${path} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`,
      );
  }
  return out.sort();
}

describe('hasLegoLayout()', () => {
  test.each<[string, boolean, () => Promise<void>]>([
    ['a home that does not exist', false, async () => undefined],
    ['an empty home', false, async () => void (await fsp.mkdir(home))],
    [
      'our own layout only (symlink, .versions, our account folder)',
      false,
      async () => {
        await fsp.mkdir(join(home, 'certificates', '.versions', 'a.test', 'v1'), { recursive: true });
        await fsp.symlink('.versions/a.test/v1', join(home, 'certificates', 'a.test'));
        await fsp.mkdir(join(home, 'accounts', '127.0.0.1_14000', 'dir'), { recursive: true });
        await fsp.writeFile(join(home, 'accounts', '127.0.0.1_14000', 'dir', 'account.json'), '{}');
      },
    ],
    ["lego's fixture directory", true, legoHome],
    [
      'only a lego account folder',
      true,
      async () =>
        void (await fsp.mkdir(join(home, 'accounts', 'acme-v02.api.letsencrypt.org', 'admin@example.com', 'keys'), {
          recursive: true,
        })),
    ],
    [
      'a certificates/x.crt that is a directory',
      false,
      async () => void (await fsp.mkdir(join(home, 'certificates', 'x.crt'), { recursive: true })),
    ],
    [
      'a certificates/x.crt that is a symlink loop',
      false,
      async () => {
        await fsp.mkdir(join(home, 'certificates'), { recursive: true });
        await fsp.symlink('x.crt', join(home, 'certificates', 'x.crt'));
      },
    ],
    [
      'a huge certificates/x.crt',
      true,
      async () => {
        await fsp.mkdir(join(home, 'certificates'), { recursive: true });
        await fsp.writeFile(join(home, 'certificates', 'x.crt'), Buffer.alloc(1024 * 1024, 65));
      },
    ],
    [
      'certificates and accounts that are regular files',
      false,
      async () => {
        await fsp.mkdir(home);
        await fsp.writeFile(join(home, 'certificates'), 'x');
        await fsp.writeFile(join(home, 'accounts'), 'x');
      },
    ],
    [
      'only a dot file in certificates/',
      false,
      async () => {
        await fsp.mkdir(join(home, 'certificates'), { recursive: true });
        await fsp.writeFile(join(home, 'certificates', '.x.crt.tmp-ab'), 'x');
      },
    ],
  ])('hasLegoLayout() of %s is %s', async (_what, expected, build) => {
    await build();
    expect(await hasLegoLayout(home)).toBe(expected);
  });

  test('hasLegoLayout() of a home without lego files reads only certificates/, accounts/ and each server folder', async () => {
    await fsp.mkdir(join(home, 'accounts', '127.0.0.1_14000', 'dir'), { recursive: true });
    await fsp.mkdir(join(home, 'certificates'), { recursive: true });
    const calls: string[] = [];
    const fs = {
      readdir: ((path: string, options: never) => (
        calls.push(path.slice(home.length)),
        fsp.readdir(path, options)
      )) as typeof fsp.readdir,
    };
    expect([await hasLegoLayout(home, fs), calls]).toEqual([
      false,
      ['/certificates', '/accounts', '/accounts/127.0.0.1_14000'],
    ]);
  });
});

describe('decideLegoCertificate()', () => {
  const stored = (
    serial: string,
    notBefore: string,
    notAfter: string,
  ): Pick<CertificateMeta, 'serial' | 'notBefore' | 'notAfter'> => ({ serial, notBefore, notAfter });
  const lego = (serial: string, notBefore: string, notAfter: string) => ({
    serial,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  const JAN = '2026-01-01T00:00:00.000Z';
  const MAR = '2026-03-01T00:00:00.000Z';
  const APR = '2026-04-01T00:00:00.000Z';
  const JUN = '2026-06-01T00:00:00.000Z';

  test.each<
    [string, ReturnType<typeof stored> | undefined, ReturnType<typeof lego>, 'issued-later' | 'expires-later', unknown]
  >([
    ['nothing stored', undefined, lego('0B', MAR, JUN), 'issued-later', { action: 'store' }],
    [
      'the same serial (adopted already)',
      stored('0B', MAR, JUN),
      lego('0B', MAR, JUN),
      'issued-later',
      { action: 'already-stored' },
    ],
    [
      'lego issued later (a revert to lego, which renewed)',
      stored('0A', JAN, APR),
      lego('0B', MAR, JUN),
      'issued-later',
      { action: 'store', replacing: '0A' },
    ],
    [
      'ours issued later (we renewed)',
      stored('0C', MAR, JUN),
      lego('0B', JAN, APR),
      'issued-later',
      { action: 'keep-stored', detail: `(serial 0C, issued ${MAR}, no earlier than lego's); kept it` },
    ],
    [
      'the same issue time, another serial',
      stored('0C', MAR, JUN),
      lego('0B', MAR, JUN),
      'issued-later',
      { action: 'keep-stored', detail: `(serial 0C, issued ${MAR}, no earlier than lego's); kept it` },
    ],
    [
      'lego issued later but expires sooner, by issue time',
      stored('0A', JAN, JUN),
      lego('0B', MAR, APR),
      'issued-later',
      { action: 'store', replacing: '0A' },
    ],
    [
      'lego issued later but expires sooner, by expiry',
      stored('0A', JAN, JUN),
      lego('0B', MAR, APR),
      'expires-later',
      { action: 'keep-stored', detail: `(serial 0A, valid to ${JUN}); kept it` },
    ],
    [
      'lego expires later, by expiry',
      stored('0A', JAN, APR),
      lego('0B', JAN, JUN),
      'expires-later',
      { action: 'store', replacing: '0A' },
    ],
  ])('decideLegoCertificate() with %s', (_what, storedMeta, legoCertificate, rule, expected) => {
    expect(decideLegoCertificate(storedMeta, legoCertificate, rule)).toEqual(expected);
  });
});

describe('adoptLegoHome()', () => {
  test('adoptLegoHome() of a home without lego files reads nothing else and changes nothing', async () => {
    await fsp.mkdir(home);
    const { deps } = setup();
    expect(await adoptLegoHome(home, deps)).toMatchObject({
      present: false,
      changed: false,
      account: undefined,
      certificates: [],
    });
    expect(await readdir(home)).toEqual([]);
  });

  test("adoptLegoHome() adopts lego's account and certificates in place, same key and serials, and leaves every lego file byte-identical", async () => {
    await legoHome();
    const before = await legoFiles();
    const haproxy = new FakeHaproxy('unix@/run/haproxy/admin.sock');
    const crtList = join(work, 'crt-list.txt');
    await fsp.writeFile(crtList, '');
    const { deps, store, logger } = setup({ endpoints: [haproxy], crtList });
    const report = await adoptLegoHome(home, deps, { email: 'admin@example.test' });
    const one = await store.loadCertificateMeta('one.example.test');
    const two = await store.loadCertificateMeta('two.example.test');
    expect({
      present: report.present,
      changed: report.changed,
      account: [
        report.account?.outcome,
        report.account?.accountUrl,
        (await store.loadAccount(LEGO_DIRECTORY))?.accountUrl,
      ],
      certificates: report.certificates.map((c) => [c.legoName, c.outcome, c.serial]),
      stored: [one?.serial, one?.adoptedFrom, two?.serial, two?.adoptedFrom],
      names: await store.listCertificateNames(),
      crtList: (await readFile(crtList, 'utf8')).split('\n'),
      haproxy: haproxy.commands,
      lego: await legoFiles(),
      logged: logger.records
        .filter((e) => e.level === 'info' && e.message.startsWith('Imported'))
        .map((e) => e.message),
    }).toEqual({
      present: true,
      changed: true,
      account: ['imported', ADMIN_ACCOUNT_URL, ADMIN_ACCOUNT_URL],
      certificates: [
        ['one.example.test', 'imported', ONE_SERIAL],
        ['two.example.test', 'imported', TWO_SERIAL],
        ['*.wild.example.test', 'skipped', WILD_SERIAL],
      ],
      stored: [ONE_SERIAL, 'lego', TWO_SERIAL, 'lego'],
      names: ['one.example.test', 'two.example.test'],
      crtList: [join(home, 'haproxy', 'one.example.test.pem'), join(home, 'haproxy', 'two.example.test.pem'), ''],
      haproxy: [
        `add ${join(home, 'haproxy', 'one.example.test.pem')}`,
        `add ${join(home, 'haproxy', 'two.example.test.pem')}`,
      ],
      lego: before,
      logged: ['Imported the lego account', 'Imported a lego certificate', 'Imported a lego certificate'],
    });
  });

  test('adoptLegoHome() a second time does nothing and says so', async () => {
    await legoHome();
    const haproxy = new FakeHaproxy('unix@/run/haproxy/admin.sock');
    const crtList = join(work, 'crt-list.txt');
    await fsp.writeFile(crtList, '');
    await adoptLegoHome(home, setup({ endpoints: [haproxy], crtList }).deps);
    const before = [await treeDigest(), await readFile(crtList, 'utf8'), haproxy.commands.length];
    const report = await adoptLegoHome(home, setup({ endpoints: [haproxy], crtList }).deps);
    expect([
      report.changed,
      report.account?.outcome,
      report.certificates.map((c) => c.outcome),
      [await treeDigest(), await readFile(crtList, 'utf8'), haproxy.commands.length],
    ]).toEqual([false, 'already-imported', ['already-imported', 'already-imported', 'skipped'], before]);
  });

  test('adoptLegoHome() finishes an adoption killed after the store: lists the bundle in the crt-list and delivers it', async () => {
    await legoHome();
    // The killed run: everything stored, nothing listed or delivered.
    await adoptLegoHome(home, setup().deps);
    const haproxy = new FakeHaproxy('unix@/run/haproxy/admin.sock');
    const crtList = join(work, 'crt-list.txt');
    await fsp.writeFile(crtList, '');
    const report = await adoptLegoHome(home, setup({ endpoints: [haproxy], crtList }).deps);
    expect([
      report.changed,
      report.certificates.map((c) => [c.outcome, (c.deploy ?? []).map((d) => d.outcome)]),
      (await readFile(crtList, 'utf8')).split('\n').length - 1,
    ]).toEqual([
      true,
      [
        ['already-imported', ['added']],
        ['already-imported', ['added']],
        ['skipped', []],
      ],
      2,
    ]);
  });

  test('adoptLegoHome() with dryRun reports what it would adopt and writes nothing', async () => {
    await legoHome();
    const before = await treeDigest();
    const report = await adoptLegoHome(home, setup().deps, { dryRun: true });
    expect([
      report.changed,
      report.account?.outcome,
      report.certificates.map((c) => c.outcome),
      await treeDigest(),
    ]).toEqual([false, 'imported', ['imported', 'imported', 'skipped'], before]);
  });

  test.each<[string, () => Promise<void>, { account: string; certificates: string[]; problems: string[] }]>([
    [
      'a symlink loop as the account key',
      async () => {
        const key = join(home, 'accounts', LEGO_SERVER, 'admin@example.test', 'keys', 'admin@example.test.key');
        await fsp.rm(key);
        await fsp.symlink('admin@example.test.key', key);
      },
      {
        account: 'imported',
        certificates: ['imported', 'imported', 'skipped'],
        problems: [`accounts/${LEGO_SERVER}/admin@example.test/keys/admin@example.test.key`],
      },
    ],
    [
      'a certificates/<x>.crt that is a directory',
      async () => void (await fsp.mkdir(join(home, 'certificates', 'dir.example.test.crt'))),
      { account: 'imported', certificates: ['imported', 'imported', 'skipped'], problems: [] },
    ],
    [
      'a huge certificates/<x>.crt',
      async () =>
        void (await fsp.writeFile(join(home, 'certificates', 'big.example.test.crt'), Buffer.alloc(1024 * 1024, 65))),
      {
        account: 'imported',
        certificates: ['imported', 'imported', 'skipped'],
        problems: ['certificates/big.example.test.crt'],
      },
    ],
    [
      'only a lego account for another CA',
      async () =>
        void (await fsp.rename(
          join(home, 'accounts', LEGO_SERVER),
          join(home, 'accounts', 'acme-staging-v02.api.letsencrypt.org'),
        )),
      { account: 'none', certificates: ['imported', 'imported', 'skipped'], problems: [] },
    ],
  ])('adoptLegoHome() with %s adopts the rest, warns, and never throws', async (_what, spoil, expected) => {
    await legoHome();
    await spoil();
    const before = await legoFiles();
    const { deps, logger } = setup();
    const report = await adoptLegoHome(home, deps);
    expect({
      account: report.account?.outcome,
      certificates: report.certificates.map((c) => c.outcome),
      problems: report.problems.map((p) => p.file),
      warned: logger.records.filter((e) => e.level === 'warn').length,
      lego: await legoFiles(),
    }).toEqual({ ...expected, warned: expected.problems.length, lego: before });
  });

  test("adoptLegoHome() keeps a stored certificate issued after lego's of the same name", async () => {
    await legoHome();
    const { deps, store } = setup();
    // Ours for two.example.test was issued after lego's (03:10 vs 02:59): kept.
    const extra = (file: string): Promise<string> => readFile(join(LEGO_FIXTURE, '..', 'extra', file), 'utf8');
    await store.saveCertificate({
      name: 'two.example.test',
      certPem: await extra('old-two.crt'),
      chainPem: '',
      keyPem: await extra('old-two.key'),
      meta: { domains: ['two.example.test'], directoryUrl: LEGO_DIRECTORY },
    });
    const report = await adoptLegoHome(home, deps);
    expect(report.certificates.map((c) => [c.legoName, c.outcome])).toEqual([
      ['one.example.test', 'imported'],
      ['two.example.test', 'skipped'],
      ['*.wild.example.test', 'skipped'],
    ]);
  });
});
