import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  FileCertificateStore,
  FileIssuedCertificateStore,
  MemoryIssuedCertificateStore,
  type IssuedCertificate,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';

const ISSUED: IssuedCertificate = {
  name: 'example.net',
  domains: ['example.net', '192.0.2.10'],
  keyType: 'ec256',
  profile: 'shortlived',
  directoryUrl: 'https://ca.example.test/dir',
  accountUrl: 'https://ca.example.test/acct/1',
  downloadedAt: '2026-12-01T00:00:00.000Z',
  fullchainPem: certs.noSubjectLeaf + certs.noSubjectIntermediate,
  keyPem: certs.noSubjectLeafKey,
};

let home: string;
beforeEach(async () => {
  home = join(await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-issued-')), 'home');
});
afterEach(async () => {
  await fsp.rm(join(home, '..'), { recursive: true, force: true });
});

describe('FileIssuedCertificateStore', () => {
  test('keep() writes <home>/issued/<name>.json 0600 in a 0700 directory and load() reads it back', async () => {
    const store = new FileIssuedCertificateStore({ home });
    const path = await store.keep(ISSUED);
    expect(path).toBe(join(home, 'issued', 'example.net.json'));
    expect([(await fsp.stat(path)).mode & 0o777, (await fsp.stat(join(home, 'issued'))).mode & 0o777]).toEqual([
      0o600, 0o700,
    ]);
    expect(await store.load('example.net')).toEqual(ISSUED);
    expect(await fsp.readdir(join(home, 'issued'))).toEqual(['example.net.json']);
  });

  test('keep() replaces what was kept; discard() removes it and succeeds when nothing is kept', async () => {
    const store = new FileIssuedCertificateStore({ home });
    await store.keep(ISSUED);
    await store.keep({ ...ISSUED, downloadedAt: '2026-12-02T00:00:00.000Z' });
    expect((await store.load('example.net'))?.downloadedAt).toBe('2026-12-02T00:00:00.000Z');
    await store.discard('example.net');
    await store.discard('example.net');
    expect([await store.load('example.net'), await store.listNames()]).toEqual([undefined, []]);
  });

  test('listNames() lists kept names sorted, without temp files, and [] before anything was kept', async () => {
    const store = new FileIssuedCertificateStore({ home });
    expect(await store.listNames()).toEqual([]);
    await store.keep({ ...ISSUED, name: 'b.example' });
    await store.keep({ ...ISSUED, name: 'a.example' });
    await fsp.writeFile(join(home, 'issued', '.c.example.json.tmp-0a1b'), '{');
    expect(await store.listNames()).toEqual(['a.example', 'b.example']);
  });

  test.each<[string, string, string]>([
    ['not JSON', '{"name"', 'it is not JSON'],
    [
      'a document without its key',
      JSON.stringify({ ...ISSUED, keyPem: undefined }),
      'field "keyPem" is invalid (Invalid input: expected string, received undefined)',
    ],
  ])('load() refuses a kept file that is %s with STORAGE_CORRUPT naming it', async (_label, text, detail) => {
    const store = new FileIssuedCertificateStore({ home });
    await fsp.mkdir(join(home, 'issued'), { recursive: true });
    const path = join(home, 'issued', 'example.net.json');
    await fsp.writeFile(path, text);
    await expect(store.load('example.net')).rejects.toThrow(
      expect.objectContaining({
        name: StorageError.name,
        code: 'STORAGE_CORRUPT',
        path,
        message: `Cannot read the kept certificate "${path}": ${detail}; move it aside to order a new certificate`,
      }),
    );
  });

  test('load() and keep() refuse a hostile name', async () => {
    const store = new FileIssuedCertificateStore({ home });
    await expect(store.load('../x')).rejects.toThrow('Cannot use certificate name "../x"');
    await expect(store.keep({ ...ISSUED, name: '../x' })).rejects.toThrow('Cannot use certificate name "../x"');
  });

  test("a temp file left in issued/ by a killed keep() is removed by the certificate store's recover()", async () => {
    await fsp.mkdir(join(home, 'issued'), { recursive: true });
    const temp = join(home, 'issued', '.example.net.json.tmp-0a1b2c');
    await fsp.writeFile(temp, '{"name": "exa');
    const recovery = await new FileCertificateStore({
      home,
      clock: { now: () => new Date() },
      logger: new CapturingLogger(),
    }).recover();
    expect(recovery.removed).toEqual([temp]);
  });
});

describe('MemoryIssuedCertificateStore', () => {
  test('MemoryIssuedCertificateStore keeps copies by sanitised name and fails one keep() on demand', async () => {
    const store = new MemoryIssuedCertificateStore('/srv/acme');
    expect(await store.keep({ ...ISSUED, name: 'Example.NET' })).toBe('/srv/acme/issued/example.net.json');
    expect(await store.load('example.net')).toMatchObject({ fullchainPem: ISSUED.fullchainPem });
    store.failKeep = new Error('full');
    await expect(store.keep(ISSUED)).rejects.toThrow('full');
    await expect(store.keep(ISSUED)).resolves.toBe('/srv/acme/issued/example.net.json');
  });
});
