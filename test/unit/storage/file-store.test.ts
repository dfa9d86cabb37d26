import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateError, ConfigError, StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log/logger';
import { CertificatePaths, FileCertificateStore, FileSystem, SaveCertificateInput } from '../../../src/storage';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';

const DIRECTORY = 'https://127.0.0.1:14000/dir';
const T0 = new Date('2026-11-27T10:00:00.000Z');
const DAY_MS = 86_400_000;

let home: string;
let now: Date;
let logger: CapturingLogger;

beforeEach(async () => {
  home = join(await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-store-')), 'home');
  now = T0;
  logger = new CapturingLogger();
});

afterEach(async () => {
  await fsp.rm(join(home, '..'), { recursive: true, force: true });
});

function store(fs?: FileSystem): FileCertificateStore {
  let n = 0;
  return new FileCertificateStore({ home, clock: { now: () => now }, logger, fs, random: () => `r${(n += 1)}` });
}

function input(leaf: string, key: string, overrides: Partial<SaveCertificateInput> = {}): SaveCertificateInput {
  return {
    name: 'example.com',
    certPem: leaf + certs.ecIntermediate + certs.ecRoot,
    chainPem: '',
    keyPem: key,
    meta: { domains: ['example.com', 'www.example.com'], directoryUrl: DIRECTORY },
    ...overrides,
  };
}

/** Saves through a fresh store; resolves with where the file store put it. */
async function saved(data: SaveCertificateInput, fs?: FileSystem): Promise<CertificatePaths> {
  const s = store(fs);
  return s.paths((await s.saveCertificate(data)).name);
}

const first = (): SaveCertificateInput => input(certs.ecLeaf, certs.ecLeafKey);
const second = (): SaveCertificateInput => input(certs.ecLeaf2, certs.ecLeaf2Key);

/** Every file under home with its bytes, symlinks as `-> target`: a snapshot to compare. */
async function snapshot(dir = home): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) out[path] = `-> ${await fsp.readlink(path)}`;
    else if (entry.isDirectory()) Object.assign(out, await snapshot(path));
    else out[path] = await fsp.readFile(path, 'utf8');
  }
  return out;
}

/** Wraps node:fs/promises so that `method` fails for paths matching `when`. */
function failing(method: 'open' | 'rename', when: (path: string) => boolean): FileSystem {
  const error = (): Error => Object.assign(new Error('EIO: injected failure'), { code: 'EIO' });
  return {
    ...fsp,
    open: (async (path: string, ...rest: unknown[]) => {
      if (method === 'open' && when(path)) throw error();
      return (fsp.open as (...args: unknown[]) => unknown)(path, ...rest);
    }) as FileSystem['open'],
    rename: async (from, to) => {
      if (method === 'rename' && when(String(to))) throw error();
      return fsp.rename(from, to);
    },
  };
}

describe('FileCertificateStore.saveCertificate()', () => {
  test('saveCertificate() round-trips the leaf, chain without root, key and derived meta', async () => {
    const returned = await store().saveCertificate(first());
    const paths = store().paths('example.com');
    const loaded = await store().loadCertificate('example.com');
    expect(loaded?.meta).toEqual(returned);
    expect(loaded).toEqual({
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: {
        name: 'example.com',
        domains: ['example.com', 'www.example.com'],
        keyType: 'ec256',
        serial: '87654321FEDCBA9876543210',
        notBefore: '2026-11-27T00:35:54.000Z',
        notAfter: '2126-11-03T00:35:54.000Z',
        directoryUrl: DIRECTORY,
        issuedAt: '2026-11-27T10:00:00.000Z',
        sha1Fingerprint: '291C4BC3DD314CD3828CA4B8F605528C5CC7489D',
        version: '20261127T100000Z-87654321FEDCBA98',
      },
    });
    expect(await fsp.readFile(paths.fullchain, 'utf8')).toBe(certs.ecLeaf + certs.ecIntermediate);
    // The bundle is this node's (FileLocalBundles), never written by the store.
    await expect(fsp.stat(paths.bundle)).rejects.toThrow('ENOENT');
  });

  test('saveCertificate() round-trips a leaf without a subject (SANs only)', async () => {
    const noSubject = input(certs.noSubjectLeaf, certs.noSubjectLeafKey, {
      name: 'example.net',
      certPem: certs.noSubjectLeaf + certs.noSubjectIntermediate,
      meta: { domains: NO_SUBJECT_NAMES, directoryUrl: DIRECTORY },
    });
    await store().saveCertificate(noSubject);
    const loaded = await store().loadCertificate('example.net');
    expect(loaded).toMatchObject({
      certPem: certs.noSubjectLeaf,
      chainPem: certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
      meta: { serial: '9ABCDEF0123456789ABC', domains: NO_SUBJECT_NAMES },
    });
  });

  test('saveCertificate() makes every directory 0700 and every file 0600', async () => {
    await store().saveCertificate(first());
    await store().saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: 'https://127.0.0.1:14000/my-account/1',
      keyPem: certs.ec384Key,
      createdAt: T0.toISOString(),
    });
    const modes: Record<string, string> = {};
    const walk = async (dir: string): Promise<void> => {
      modes[dir] = ((await fsp.stat(dir)).mode & 0o777).toString(8);
      for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) modes[path] = ((await fsp.stat(path)).mode & 0o777).toString(8);
      }
    };
    await walk(home);
    const version = 'certificates/.versions/example.com/20261127T100000Z-87654321FEDCBA98';
    const relative = Object.fromEntries(
      Object.entries(modes).map(([path, mode]) => [path.slice(home.length + 1), mode]),
    );
    expect(relative).toEqual({
      '': '700',
      accounts: '700',
      'accounts/127.0.0.1_14000': '700',
      'accounts/127.0.0.1_14000/dir': '700',
      'accounts/127.0.0.1_14000/dir/account.json': '600',
      'accounts/127.0.0.1_14000/dir/account.key.pem': '600',
      certificates: '700',
      'certificates/.versions': '700',
      'certificates/.versions/example.com': '700',
      [version]: '700',
      [`${version}/cert.pem`]: '600',
      [`${version}/chain.pem`]: '600',
      [`${version}/fullchain.pem`]: '600',
      [`${version}/privkey.pem`]: '600',
      [`${version}/meta.json`]: '600',
    });
  });

  test('saveCertificate() points the symlink at the newest version with a relative target', async () => {
    await store().saveCertificate(first());
    now = new Date(T0.getTime() + DAY_MS);
    const paths = await saved(second());
    expect(await fsp.readlink(paths.dir)).toBe('.versions/example.com/20261128T100000Z-0123456789ABCDEF');
    expect(await fsp.readFile(paths.cert, 'utf8')).toBe(certs.ecLeaf2);
    expect(await fsp.readFile(paths.privkey, 'utf8')).toBe(certs.ecLeaf2Key);
  });

  test('saveCertificate() keeps the 3 newest versions', async () => {
    for (let day = 0; day < 5; day += 1) {
      now = new Date(T0.getTime() + day * DAY_MS);
      await store().saveCertificate(day % 2 === 0 ? first() : second());
    }
    expect((await fsp.readdir(join(home, 'certificates', '.versions', 'example.com'))).sort()).toEqual([
      '20261129T100000Z-87654321FEDCBA98',
      '20261130T100000Z-0123456789ABCDEF',
      '20261201T100000Z-87654321FEDCBA98',
    ]);
  });

  test('saveCertificate() never prunes the current version, even when the clock went back', async () => {
    for (let day = 1; day <= 3; day += 1) {
      now = new Date(T0.getTime() + day * DAY_MS);
      await store().saveCertificate(second());
    }
    now = T0;
    const paths = await saved(first());
    expect(await fsp.readlink(paths.dir)).toBe('.versions/example.com/20261127T100000Z-87654321FEDCBA98');
    expect(await fsp.readdir(join(home, 'certificates', '.versions', 'example.com'))).toHaveLength(4);
  });

  test('saveCertificate() keeps both versions when the same certificate is saved twice in one second', async () => {
    await store().saveCertificate(first());
    const again = await store().saveCertificate(first());
    expect(await fsp.readlink(store().paths('example.com').dir)).toBe(
      '.versions/example.com/20261127T100000Z-87654321FEDCBA98-r1',
    );
    expect(again.version).toBe('20261127T100000Z-87654321FEDCBA98-r1');
  });

  test('saveCertificate() stores a wildcard under its sanitised name', async () => {
    const paths = await saved(
      input(certs.ecLeaf, certs.ecLeafKey, {
        name: '*.apps.example.com',
        meta: { domains: ['*.apps.example.com'], directoryUrl: DIRECTORY },
      }),
    );
    expect(paths.dir).toBe(join(home, 'certificates', '_wildcard.apps.example.com'));
    expect((await store().loadCertificate('*.apps.example.com'))?.meta.name).toBe('_wildcard.apps.example.com');
  });

  test.each<[string, () => SaveCertificateInput, string, string]>([
    [
      'a mismatching key',
      () => input(certs.ecLeaf, certs.mismatchKey),
      CertificateError.name,
      'Certificate and private key do not match: certificate "87654321FEDCBA9876543210" has a ec256 public key that does not belong to the given ec256 private key',
    ],
    [
      'a name the leaf does not cover',
      () =>
        input(certs.ecLeaf, certs.ecLeafKey, {
          meta: { domains: ['example.com', 'mail.example.com', 'apps.example.com'], directoryUrl: DIRECTORY },
        }),
      CertificateError.name,
      'Cannot store certificate "example.com": certificate "87654321FEDCBA9876543210" does not cover "mail.example.com", "apps.example.com"',
    ],
    [
      'an empty certificate',
      () => input('', certs.ecLeafKey, { certPem: '' }),
      CertificateError.name,
      'Cannot read certificate chain: the text holds no "CERTIFICATE" block',
    ],
    [
      'an encrypted key',
      () => input(certs.ecLeaf, certs.encryptedKey),
      CertificateError.name,
      'Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
    ],
    [
      'a traversal name',
      () => input(certs.ecLeaf, certs.ecLeafKey, { name: '../../etc/passwd' }),
      ConfigError.name,
      'Cannot use certificate name "../../etc/passwd": use only letters a-z, digits, ".", "_", "-" and "*" (write internationalised names in punycode, "xn--…")',
    ],
    [
      'a hidden name',
      () => input(certs.ecLeaf, certs.ecLeafKey, { name: '.versions' }),
      ConfigError.name,
      'Cannot use certificate name ".versions": it must not start with "."',
    ],
  ])('saveCertificate() refuses %s before writing anything', async (_label, make, name, message) => {
    await expect(store().saveCertificate(make())).rejects.toThrow(expect.objectContaining({ name, message }));
    await expect(fsp.readdir(home)).rejects.toThrow('ENOENT');
  });
});

describe('FileCertificateStore.saveCertificate() failures leave the previous set intact', () => {
  const cases: Array<[string, FileSystem]> = [
    ['writing privkey.pem of the new version fails', failing('open', (p) => p.endsWith('privkey.pem'))],
    ['renaming the version directory fails', failing('rename', (p) => p.includes('/.versions/example.com/2026'))],
    ['swapping the symlink fails', failing('rename', (p) => p === join(home, 'certificates', 'example.com'))],
  ];

  test.each(cases)('when %s', async (_label, fs) => {
    await store().saveCertificate(first());
    const before = await snapshot();
    now = new Date(T0.getTime() + DAY_MS);
    await expect(store(fs).saveCertificate(second())).rejects.toThrow(
      expect.objectContaining({ name: StorageError.name, code: 'STORAGE_IO' }),
    );
    expect(await snapshot()).toEqual(before);
    expect((await store().loadCertificate('example.com'))?.certPem).toBe(certs.ecLeaf);
  });

  test('an aborted save writes nothing and keeps the previous version current', async () => {
    await store().saveCertificate(first());
    const before = await snapshot();
    const controller = new AbortController();
    controller.abort(new Error('Deadline passed'));
    now = new Date(T0.getTime() + DAY_MS);
    await expect(store().saveCertificate(second(), { signal: controller.signal })).rejects.toThrow('Deadline passed');
    expect(await snapshot()).toEqual(before);
  });
});

describe('FileCertificateStore.loadCertificate() and listing', () => {
  test('loadCertificate() returns undefined for a certificate never saved', async () => {
    expect(await store().loadCertificate('example.com')).toBeUndefined();
  });

  test('loadCertificate() refuses a hostile name', async () => {
    await expect(store().loadCertificate('a/b')).rejects.toThrow(ConfigError);
  });

  test.each<[string, string, (meta: string) => string]>([
    ['invalid JSON', 'it is not JSON; delete the certificate and issue it again', () => '{"name":'],
    [
      'a missing field',
      'field "serial" is invalid (Invalid input: expected string, received undefined); delete the certificate and issue it again',
      (m) => JSON.stringify({ ...JSON.parse(m), serial: undefined }),
    ],
    [
      'a bad date',
      'field "notAfter" is invalid (Invalid ISO datetime); delete the certificate and issue it again',
      (m) => JSON.stringify({ ...JSON.parse(m), notAfter: 'tomorrow' }),
    ],
  ])('loadCertificate() throws STORAGE_CORRUPT naming meta.json for %s', async (_label, detail, corrupt) => {
    const paths = await saved(first());
    const real = join(home, 'certificates', await fsp.readlink(paths.dir), 'meta.json');
    await fsp.writeFile(real, corrupt(await fsp.readFile(real, 'utf8')));
    await expect(store().loadCertificate('example.com')).rejects.toThrow(
      expect.objectContaining({
        name: StorageError.name,
        code: 'STORAGE_CORRUPT',
        path: real,
        message: `Cannot read certificate metadata "${real}": ${detail}`,
      }),
    );
  });

  test('loadCertificate() throws STORAGE_CORRUPT when a file of the version is missing', async () => {
    const paths = await saved(first());
    const real = join(home, 'certificates', await fsp.readlink(paths.dir), 'privkey.pem');
    await fsp.unlink(real);
    await expect(store().loadCertificate('example.com')).rejects.toThrow(
      expect.objectContaining({
        code: 'STORAGE_CORRUPT',
        message: `Cannot read certificate "example.com": "${real}" is missing; issue the certificate again`,
      }),
    );
  });

  test('loadCertificate() throws STORAGE_CORRUPT when certificates/<name> is a plain directory', async () => {
    const dir = join(home, 'certificates', 'example.com');
    await fsp.mkdir(dir, { recursive: true });
    await expect(store().loadCertificate('example.com')).rejects.toThrow(
      expect.objectContaining({
        code: 'STORAGE_CORRUPT',
        message: `Cannot read certificate "${dir}": it is not a symlink to a version directory; move it away and issue again`,
      }),
    );
    await expect(store().saveCertificate(first())).rejects.toThrow(
      expect.objectContaining({ code: 'STORAGE_CORRUPT' }),
    );
  });

  test('listCertificates() returns every certificate sorted by name; listCertificateNames() skips temp entries', async () => {
    await store().saveCertificate(
      input(certs.rsaLeaf, certs.rsaLeafKey, {
        name: 'rsa.example.org',
        meta: { domains: ['rsa.example.org'], directoryUrl: DIRECTORY },
      }),
    );
    await store().saveCertificate(first());
    await fsp.writeFile(join(home, 'certificates', '.example.com.tmp-zz'), '');
    expect(await store().listCertificateNames()).toEqual(['example.com', 'rsa.example.org']);
    expect(
      (await store().listCertificates()).map((c) => [c.meta.name, c.meta.keyType, c.chainPem === certs.ecIntermediate]),
    ).toEqual([
      ['example.com', 'ec256', true],
      ['rsa.example.org', 'rsa2048', true],
    ]);
  });

  test('listCertificates() throws for a corrupt certificate instead of skipping it', async () => {
    await store().saveCertificate(first());
    await fsp.mkdir(join(home, 'certificates', 'broken'));
    expect(await store().listCertificateNames()).toEqual(['broken', 'example.com']);
    await expect(store().listCertificates()).rejects.toThrow(
      expect.objectContaining({ code: 'STORAGE_CORRUPT', path: join(home, 'certificates', 'broken') }),
    );
  });

  test('listCertificates() returns [] before anything was saved', async () => {
    expect(await store().listCertificates()).toEqual([]);
  });
});

describe('FileCertificateStore accounts', () => {
  const account = {
    directoryUrl: DIRECTORY,
    accountUrl: 'https://127.0.0.1:14000/my-account/1',
    email: 'ops@example.com',
    keyPem: certs.ec384Key,
    createdAt: T0.toISOString(),
  };
  const dir = (): string => join(home, 'accounts', '127.0.0.1_14000', 'dir');

  test('saveAccount() and loadAccount() round-trip; the key file is 0600 and the JSON holds no key', async () => {
    await store().saveAccount(account);
    expect(await store().loadAccount(DIRECTORY)).toEqual(account);
    expect((await fsp.stat(join(dir(), 'account.key.pem'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fsp.readFile(join(dir(), 'account.json'), 'utf8'))).toEqual({
      directoryUrl: DIRECTORY,
      accountUrl: account.accountUrl,
      email: 'ops@example.com',
      createdAt: '2026-11-27T10:00:00.000Z',
    });
  });

  test('loadAccount() returns undefined for another directory', async () => {
    await store().saveAccount(account);
    expect(await store().loadAccount('https://127.0.0.1:14001/dir')).toBeUndefined();
  });

  test.each<[string, string, string]>([
    [
      'account.key.pem',
      '',
      'Cannot read ACME account "<dir>/account.key.pem": Cannot read private key: the text holds 0 PEM blocks, expected exactly one; delete "<dir>/account.key.pem" to register a new account',
    ],
    [
      'account.json',
      '{}',
      'Cannot read ACME account "<dir>/account.json": it is not valid account JSON; delete "<dir>/account.json" to register a new account',
    ],
  ])('loadAccount() throws STORAGE_CORRUPT when %s is damaged', async (file, content, message) => {
    await store().saveAccount(account);
    await fsp.writeFile(join(dir(), file), content);
    await expect(store().loadAccount(DIRECTORY)).rejects.toThrow(
      expect.objectContaining({ code: 'STORAGE_CORRUPT', message: message.replace(/<dir>/g, dir()) }),
    );
  });
});

test('FileCertificateStore never logs key material', async () => {
  await store().saveCertificate(first());
  await store().saveCertificate(second());
  await store().saveAccount({
    directoryUrl: DIRECTORY,
    accountUrl: 'https://x/acct/1',
    keyPem: certs.ec384Key,
    createdAt: T0.toISOString(),
  });
  const logged = JSON.stringify(logger.records);
  expect(logger.records.map((r) => r.message)).toContain('Stored certificate');
  expect(logged).not.toMatch(/PRIVATE KEY|BEGIN/);
  expect(logged).toContain('87654321FEDCBA9876543210');
});

test('FileCertificateStore.loadCertificate() refuses a symlink that points outside its versions directory', async () => {
  await store().saveCertificate(first());
  const link = join(home, 'certificates', 'example.com');
  await fsp.rm(link);
  await fsp.symlink('../haproxy', link);
  await expect(store().loadCertificate('example.com')).rejects.toThrow(
    expect.objectContaining({
      code: 'STORAGE_CORRUPT',
      message: `Cannot read certificate "${link}": it points at "../haproxy", outside its versions directory; move it away and issue again`,
    }),
  );
});

describe('FileCertificateStore.loadCertificateMeta()', () => {
  test('loadCertificateMeta() returns the current meta without opening the key, chain or leaf', async () => {
    await store().saveCertificate(first());
    await store().saveCertificate(second());
    const opened: string[] = [];
    const recording: FileSystem = {
      ...fsp,
      open: ((path: string, ...rest: unknown[]) => {
        opened.push(String(path));
        return (fsp.open as (...args: unknown[]) => unknown)(path, ...rest);
      }) as FileSystem['open'],
      readFile: ((path: string, ...rest: unknown[]) => {
        opened.push(String(path));
        return (fsp.readFile as (...args: unknown[]) => unknown)(path, ...rest);
      }) as FileSystem['readFile'],
    };
    const meta = await store(recording).loadCertificateMeta('example.com');
    expect([meta, opened.map((path) => path.split('/').pop())]).toEqual([
      (await store().loadCertificate('example.com'))?.meta,
      ['meta.json'],
    ]);
  });

  test('loadCertificateMeta() is undefined for a name never stored', async () => {
    expect(await store().loadCertificateMeta('absent.example.com')).toBeUndefined();
  });

  test('loadCertificateMeta() refuses a symlink that points outside its versions directory', async () => {
    await store().saveCertificate(first());
    const link = join(home, 'certificates', 'example.com');
    await fsp.rm(link);
    await fsp.symlink('../haproxy', link);
    await expect(store().loadCertificateMeta('example.com')).rejects.toThrow(
      expect.objectContaining({ code: 'STORAGE_CORRUPT' }),
    );
  });
});
