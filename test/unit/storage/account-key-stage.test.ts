import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  FileAccountKeyStage,
  FileCertificateStore,
  MemoryAccountKeyStage,
  MemoryCertificateStore,
  accountDir,
  type FileSystem,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const DIRECTORY = 'https://127.0.0.1:14000/dir';
const OLD_KEY = certs.ecLeafKey;
const NEW_KEY = certs.ecLeaf2Key;
const account = {
  directoryUrl: DIRECTORY,
  accountUrl: 'https://127.0.0.1:14000/acct/1',
  keyPem: OLD_KEY,
  createdAt: '2026-11-27T10:00:00.000Z',
};

describe('FileAccountKeyStage', () => {
  let root: string;
  let home: string;
  beforeEach(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-key-stage-'));
    home = join(root, 'home');
  });
  afterEach(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function setup(fs?: FileSystem) {
    const store = new FileCertificateStore({ home, clock: fixedClock(new Date()), logger: new CapturingLogger() });
    await store.saveAccount(account);
    return { store, stage: new FileAccountKeyStage({ home, fs }), dir: accountDir(home, DIRECTORY) };
  }

  test('stage() writes .account.key.pem.next 0600 and leaves the account key alone', async () => {
    const { store, stage, dir } = await setup();
    await stage.stage(DIRECTORY, NEW_KEY);
    expect([
      await stage.staged(DIRECTORY),
      (await fsp.stat(join(dir, '.account.key.pem.next'))).mode & 0o777,
      (await store.loadAccount(DIRECTORY))?.keyPem,
    ]).toEqual([NEW_KEY, 0o600, OLD_KEY]);
  });

  test('promote() makes the staged key the account key and leaves neither the staged key nor a backup', async () => {
    const { store, stage, dir } = await setup();
    await stage.stage(DIRECTORY, NEW_KEY);
    await stage.promote(DIRECTORY);
    expect([
      (await store.loadAccount(DIRECTORY))?.keyPem,
      await stage.staged(DIRECTORY),
      (await fsp.readdir(dir)).sort(),
    ]).toEqual([NEW_KEY, undefined, ['account.json', 'account.key.pem']]);
    expect((await fsp.stat(join(dir, 'account.key.pem'))).mode & 0o777).toBe(0o600);
  });

  test('promote() keeps the old key, and a backup of it, when the rename of the staged key fails', async () => {
    const failingRename: FileSystem = {
      ...fsp,
      rename: async (from, to) =>
        String(from).endsWith('.account.key.pem.next')
          ? Promise.reject(new Error('EIO: i/o error'))
          : fsp.rename(from, to),
    };
    const { store, stage, dir } = await setup();
    await stage.stage(DIRECTORY, NEW_KEY);
    await expect(new FileAccountKeyStage({ home, fs: failingRename }).promote(DIRECTORY)).rejects.toThrow(StorageError);
    expect([
      (await store.loadAccount(DIRECTORY))?.keyPem,
      await stage.staged(DIRECTORY),
      await fsp.readFile(join(dir, '.account.key.pem.old'), 'utf8'),
    ]).toEqual([OLD_KEY, NEW_KEY, OLD_KEY]);
  });

  test('promote() without a staged key fails and changes nothing', async () => {
    const { store, stage, dir } = await setup();
    await expect(stage.promote(DIRECTORY)).rejects.toThrow(
      `Cannot promote the staged account key in "${dir}": there is none; run "acme account rollover" again`,
    );
    expect((await store.loadAccount(DIRECTORY))?.keyPem).toBe(OLD_KEY);
  });

  test('discard() deletes the staged key and is idempotent', async () => {
    const { stage } = await setup();
    await stage.stage(DIRECTORY, NEW_KEY);
    await stage.discard(DIRECTORY);
    await stage.discard(DIRECTORY);
    expect(await stage.staged(DIRECTORY)).toBeUndefined();
  });
});

describe('MemoryAccountKeyStage', () => {
  test('promote() replaces the key of the memory store account', async () => {
    const store = new MemoryCertificateStore();
    await store.saveAccount(account);
    const stage = new MemoryAccountKeyStage(store);
    await stage.stage(DIRECTORY, NEW_KEY);
    await stage.promote(DIRECTORY);
    expect([(await store.loadAccount(DIRECTORY))?.keyPem, await stage.staged(DIRECTORY)]).toEqual([NEW_KEY, undefined]);
  });
});
