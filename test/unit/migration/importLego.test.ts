import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { ConfigError, StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { importLego, type LegoImportDeps, type LegoImportReport } from '../../../src/migration';
import {
  type CrtList,
  FileRenewalStateStore,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  openFileBackend,
  type SaveCertificateInput,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import {
  accountFiles,
  ADMIN_ACCOUNT_URL,
  certificateFiles,
  extraFile,
  fixtureSnapshot,
  LEGO_DIRECTORY,
  LEGO_NOW,
  ONE_SERIAL,
  OTHER_ACCOUNT_URL,
  TWO_SERIAL,
  FakeHaproxy,
} from './_lego';

const crtList: CrtList = {
  path: '/etc/haproxy/crt-list.txt',
  ensureEntry: async () => true,
  hasEntry: async () => true,
  removeEntry: async () => true,
};

/** A store whose saves of `failing` fail like a full disk. */
class FailingStore extends MemoryCertificateStore {
  constructor(private readonly failing: string) {
    super({ home: '/srv/acme', clock: fixedClock(LEGO_NOW) });
  }
  override async saveCertificate(input: SaveCertificateInput) {
    if (input.name === this.failing)
      throw new StorageError('STORAGE_IO', `Cannot write "/srv/acme/x": ENOSPC: no space left on device`, {
        path: '/srv/acme/x',
      });
    return super.saveCertificate(input);
  }
}

function setup(
  store: MemoryCertificateStore = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(LEGO_NOW) }),
) {
  const haproxy = new FakeHaproxy('unix@/run/haproxy/admin.sock');
  const renewalState = new MemoryRenewalStateStore();
  const deployState = new MemoryDeployStateStore();
  const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
  const deps: LegoImportDeps = {
    directoryUrl: LEGO_DIRECTORY,
    store,
    bundles,
    renewalState,
    deploy: { deployState, node: 'node-1', endpoints: [haproxy], crtList },
    clock: fixedClock(LEGO_NOW),
    logger: new CapturingLogger(),
  };
  return { deps, store, bundles, haproxy, renewalState, deployState };
}

const outcomes = (report: LegoImportReport) => [
  report.account.outcome,
  report.certificates.map((c) => [c.name ?? c.legoName, c.outcome]),
];

describe('importLego()', () => {
  test('importLego() adopts the account and both certificates, with bundles, fresh renewal state and a deploy', async () => {
    const { deps, store, haproxy, renewalState } = setup();
    const report = await importLego(fixtureSnapshot(), deps);
    const stored = await store.loadAccount(LEGO_DIRECTORY);
    expect({
      outcomes: outcomes(report),
      failed: report.failed,
      account: [
        stored?.accountUrl,
        stored?.email,
        stored?.keyPem === (accountFiles('admin@example.test').key?.text ?? ''),
      ],
      serials: [
        (await store.loadCertificate('one.example.test'))?.meta.serial,
        (await store.loadCertificate('two.example.test'))?.meta.serial,
      ],
      domains: (await store.loadCertificate('one.example.test'))?.meta.domains,
      states: [...renewalState.states.entries()],
      served: [...haproxy.served.values()].map((s) => s.serial),
      commands: haproxy.commands,
    }).toEqual({
      outcomes: [
        'imported',
        [
          ['one.example.test', 'imported'],
          ['two.example.test', 'imported'],
          ['*.wild.example.test', 'skipped'],
        ],
      ],
      failed: false,
      account: [ADMIN_ACCOUNT_URL, 'admin@example.test', true],
      serials: [ONE_SERIAL, TWO_SERIAL],
      domains: ['one.example.test', 'www.one.example.test'],
      states: [
        ['one.example.test', {}],
        ['two.example.test', {}],
      ],
      served: [ONE_SERIAL, TWO_SERIAL],
      commands: ['add /srv/acme/haproxy/one.example.test.pem', 'add /srv/acme/haproxy/two.example.test.pem'],
    });
  });

  test('importLego() reports when the lifetime rule makes each certificate due, and never prints a key', async () => {
    const { deps } = setup();
    const report = await importLego(fixtureSnapshot(), deps);
    const text = JSON.stringify(report);
    expect([
      report.certificates.map((c) => c.renewalDueAt),
      text.includes('PRIVATE KEY'),
      report.account.keyThumbprint?.length,
    ]).toEqual([
      // pebble issues 5-year certificates: due with one third of the lifetime left
      ['2030-03-28T10:58:28.333Z', '2030-03-28T10:59:58.333Z', undefined],
      false,
      43,
    ]);
  });

  test('importLego() a second time changes nothing and says "already imported"', async () => {
    const { deps, store, haproxy, renewalState } = setup();
    await importLego(fixtureSnapshot(), deps);
    const saves = store.saves;
    const commands = haproxy.commands.length;
    renewalState.states.clear();
    const report = await importLego(fixtureSnapshot(), deps);
    expect([
      outcomes(report),
      report.certificates.slice(0, 2).map((c) => c.detail),
      store.saves - saves,
      haproxy.commands.length - commands,
      renewalState.states.size,
    ]).toEqual([
      [
        'already-imported',
        [
          ['one.example.test', 'already-imported'],
          ['two.example.test', 'already-imported'],
          ['*.wild.example.test', 'skipped'],
        ],
      ],
      ['already imported: --home holds this certificate', 'already imported: --home holds this certificate'],
      0,
      0,
      0,
    ]);
  });

  test('importLego() a second time leaves every file of a FileCertificateStore home as it was', async () => {
    const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-import-'));
    try {
      const { store, bundles } = openFileBackend({ home, clock: fixedClock(LEGO_NOW), logger: new CapturingLogger() });
      const deps: LegoImportDeps = {
        ...setup().deps,
        store,
        bundles,
        renewalState: new FileRenewalStateStore({ home }),
        deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
      };
      await importLego(fixtureSnapshot(), deps);
      const before = await treeDigest(home);
      const report = await importLego(fixtureSnapshot(), deps);
      expect([outcomes(report)[0], await treeDigest(home), before.length]).toEqual(['already-imported', before, 18]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('importLego() keeps an account --home already has, and still imports the certificates', async () => {
    const { deps, store } = setup();
    await store.saveAccount({
      directoryUrl: LEGO_DIRECTORY,
      accountUrl: 'https://127.0.0.1:33595/my-account/ours',
      keyPem: certs.ecLeaf2Key,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const report = await importLego(fixtureSnapshot(), deps);
    expect([
      report.account.outcome,
      report.account.detail,
      (await store.loadAccount(LEGO_DIRECTORY))?.accountUrl,
      report.certificates[0]?.outcome,
    ]).toEqual([
      'kept-existing',
      '--home already has account "https://127.0.0.1:33595/my-account/ours" for this CA; kept it and left the lego account alone',
      'https://127.0.0.1:33595/my-account/ours',
      'imported',
    ]);
  });

  test('importLego() skips a name whose certificate in --home is newer, and replaces an older one', async () => {
    const { deps, store } = setup();
    // certs.ecLeaf (valid to 2126) is newer than lego's one.example.test (2031); old-two (2027) is older than two.example.test.
    await store.saveCertificate({
      name: 'one.example.test',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: ['example.com'], directoryUrl: LEGO_DIRECTORY },
    });
    const older = { crt: extraFile('old-two.crt', 'x').text, key: extraFile('old-two.key', 'x').text };
    await store.saveCertificate({
      name: 'two.example.test',
      certPem: older.crt,
      chainPem: '',
      keyPem: older.key,
      meta: { domains: ['two.example.test'], directoryUrl: LEGO_DIRECTORY },
    });
    const report = await importLego(fixtureSnapshot(), deps);
    expect([
      report.certificates.slice(0, 2).map((c) => [c.outcome, c.detail]),
      (await store.loadCertificate('two.example.test'))?.meta.serial,
    ]).toEqual([
      [
        [
          'skipped',
          '--home has a newer certificate "one.example.test" (serial 87654321FEDCBA9876543210, valid to 2126-11-03T00:35:54.000Z); kept it',
        ],
        ['imported', 'imported, replacing the older certificate (serial 42A915944ED423D394B8A4CAAA19DD534BBE1DA8)'],
      ],
      TWO_SERIAL,
    ]);
  });

  test('importLego() with dryRun writes and deploys nothing', async () => {
    const { deps, store, haproxy, renewalState } = setup();
    const report = await importLego(fixtureSnapshot(), deps, { dryRun: true });
    expect([
      outcomes(report),
      report.dryRun,
      store.saves,
      store.accounts.size,
      haproxy.commands,
      renewalState.states.size,
    ]).toEqual([
      [
        'imported',
        [
          ['one.example.test', 'imported'],
          ['two.example.test', 'imported'],
          ['*.wild.example.test', 'skipped'],
        ],
      ],
      true,
      0,
      0,
      [],
      0,
    ]);
  });

  test('importLego() of a directory with an invalid file throws ConfigError naming it and writes nothing', async () => {
    const { deps, store } = setup();
    const snapshot = fixtureSnapshot();
    snapshot.certificates.push({
      ...certificateFiles('one.example.test'),
      base: 'bad.example.test',
      key: { path: 'certificates/bad.example.test.key', text: 'garbage' },
      json: undefined,
    });
    const error = await importLego(snapshot, deps).catch((e: unknown) => e);
    expect([error instanceof ConfigError, (error as Error).message, store.saves, store.accounts.size]).toEqual([
      true,
      'Cannot import lego directory "/srv/lego": 1 file is invalid, nothing was imported: "certificates/bad.example.test.key": Cannot read private key: the text holds 0 PEM blocks, expected exactly one; fix or move them aside and run again',
      0,
      0,
    ]);
  });

  test('importLego() of a directory with nothing for the CA throws ConfigError', async () => {
    const { deps } = setup();
    const snapshot = { ...fixtureSnapshot(), certificates: [] };
    await expect(
      importLego(snapshot, { ...deps, directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory' }),
    ).rejects.toThrow(
      new ConfigError(
        'Cannot import lego directory "/srv/lego": nothing to import: the lego directory has no account for "acme-v02.api.letsencrypt.org:443" (only for "127.0.0.1_33595") and no certificates',
      ),
    );
  });

  test('importLego() with a failing save imports the rest and reports failed', async () => {
    const { deps, store } = setup(new FailingStore('one.example.test'));
    const report = await importLego(fixtureSnapshot(), deps);
    expect([
      outcomes(report),
      report.certificates[0]?.detail,
      report.failed,
      (await store.loadCertificate('two.example.test'))?.meta.serial,
    ]).toEqual([
      [
        'imported',
        [
          ['one.example.test', 'failed'],
          ['two.example.test', 'imported'],
          ['*.wild.example.test', 'skipped'],
        ],
      ],
      'Cannot write "/srv/acme/x": ENOSPC: no space left on device',
      true,
      TWO_SERIAL,
    ]);
  });

  test('importLego() with --email adopts that account', async () => {
    const { deps, store } = setup();
    const report = await importLego(fixtureSnapshot(), deps, { email: 'other@example.test' });
    expect([
      report.account.chosenBy,
      report.account.keyType,
      (await store.loadAccount(LEGO_DIRECTORY))?.accountUrl,
    ]).toEqual(['email', 'rsa2048', OTHER_ACCOUNT_URL]);
  });
});

/** Every file and symlink under `dir` with a digest of its content (or target), sorted. */
async function treeDigest(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
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
