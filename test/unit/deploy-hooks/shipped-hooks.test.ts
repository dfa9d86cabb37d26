import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hookEnvironment, type HookCertificate } from '../../../src/deploy-hooks';
import { certs } from '../../fixtures/certs';
import { HOOK_FIXTURES, SAMPLE_CERT, tempDir } from './_hooks';

// The shipped hooks in hooks/, run for real with the documented environment against the
// fixture certificates (test/fixtures/certs: EC and RSA leaves under an EC intermediate).
const HOOKS = join(__dirname, '..', '..', '..', 'hooks');
const CERTS = join(__dirname, '..', '..', 'fixtures', 'certs');
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
const ME = { uid: process.getuid!(), gid: process.getgid!() };
// As root, prove the chown by giving the files to nobody; as a user, chown to ourselves.
const OWNER = ME.uid === 0 ? { uid: 65534, gid: 65534 } : ME;

let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(join(HOOKS, file), args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

function openssl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openssl', args, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

/** The documented hook environment for a fixture leaf (`ec` or `rsa`), plus PATH. */
function envFor(kind: 'ec' | 'rsa', extra: Record<string, string> = {}): Record<string, string> {
  const cert: HookCertificate = {
    ...SAMPLE_CERT,
    certPath: join(CERTS, `${kind}-leaf.pem`),
    keyPath: join(CERTS, `${kind}-leaf.key.pem`),
    chainPath: join(CERTS, 'ec-intermediate.pem'),
    fullchainPath: join(work, `${kind}-fullchain.pem`),
  };
  return { ...hookEnvironment(cert, { PATH }), ...extra };
}

const modeOf = async (path: string): Promise<number> => (await fsp.stat(path)).mode & 0o7777;
const pemBlocks = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

beforeAll(async () => {
  for (const name of ['pkcs12', 'install-copy', 'snap-restart']) await fsp.chmod(join(HOOKS, name), 0o755);
  await fsp.chmod(join(HOOK_FIXTURES, 'snapctl', 'snapctl'), 0o755);
});

beforeEach(async () => {
  work = await tempDir('shipped-hooks');
  for (const kind of ['ec', 'rsa']) {
    await fsp.writeFile(
      join(work, `${kind}-fullchain.pem`),
      certs[kind === 'ec' ? 'ecLeaf' : 'rsaLeaf'] + certs.ecIntermediate,
    );
  }
  await fsp.writeFile(join(work, 'password'), 'pässwörd 1\n', { mode: 0o600 });
});

afterEach(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

describe('hooks/pkcs12', () => {
  test.each<['ec' | 'rsa', string, string]>([
    ['ec', 'EC', 'PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256'],
    ['rsa', 'RSA', 'PKCS7 Data'],
  ])('pkcs12 writes a %s bundle that openssl opens with the password file', async (kind, type, certBag) => {
    const out = join(work, 'bundle.p12');
    const password = join(work, 'password');
    const result = await run('pkcs12', ['--out', out, '--password-file', password], envFor(kind));
    expect(result).toEqual({
      code: 0,
      stdout: `pkcs12: wrote "${out}" (${type} key, 2 certificates, mode 0600)\n`,
      stderr: '',
    });
    expect(await modeOf(out)).toBe(0o600);
    expect(await fsp.readdir(work)).toEqual(expect.arrayContaining(['bundle.p12']));
    expect((await fsp.readdir(work)).filter((name) => name.startsWith('.'))).toEqual([]);

    const info = await openssl(['pkcs12', '-in', out, '-info', '-noout', '-passin', `file:${password}`]);
    expect(info.code).toBe(0);
    expect(info.stderr.split('\n')).toEqual(
      expect.arrayContaining([
        'MAC: sha256, Iteration 2048',
        certBag,
        'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
      ]),
    );
    const listed = await openssl(['pkcs12', '-in', out, '-nokeys', '-passin', `file:${password}`]);
    expect(pemBlocks(listed.stdout).map((pem) => new X509Certificate(pem).raw)).toEqual(
      [certs[kind === 'ec' ? 'ecLeaf' : 'rsaLeaf'], certs.ecIntermediate].map((pem) => new X509Certificate(pem).raw),
    );
    expect(listed.stdout).toContain('friendlyName: example.com');
    const key = await openssl(['pkcs12', '-in', out, '-nocerts', '-nodes', '-passin', `file:${password}`]);
    const expectedKey = createPrivateKey(certs[kind === 'ec' ? 'ecLeafKey' : 'rsaLeafKey']);
    expect(createPrivateKey(key.stdout).export({ type: 'pkcs8', format: 'der' })).toEqual(
      expectedKey.export({ type: 'pkcs8', format: 'der' }),
    );
  });

  test.each<['ec' | 'rsa']>([['ec'], ['rsa']])('pkcs12 output for %s refuses a wrong password', async (kind) => {
    const out = join(work, 'bundle.p12');
    await run('pkcs12', ['--out', out, '--password-file', join(work, 'password')], envFor(kind));
    const opened = await openssl(['pkcs12', '-in', out, '-info', '-noout', '-passin', 'pass:wrong']);
    expect(opened.code).toBe(1);
    expect(opened.stderr).toContain('Mac verify error');
  });

  test('pkcs12 replaces an existing file atomically with --mode and --friendly-name', async () => {
    const out = join(work, 'bundle.p12');
    await fsp.writeFile(out, 'old', { mode: 0o644 });
    const before = (await fsp.stat(out)).ino;
    const args = [
      '--out',
      out,
      '--password-file',
      join(work, 'password'),
      '--mode',
      '0640',
      '--friendly-name',
      'tomcat',
    ];
    expect((await run('pkcs12', args, envFor('rsa'))).code).toBe(0);
    expect(await modeOf(out)).toBe(0o640);
    expect((await fsp.stat(out)).ino).not.toBe(before);
    const listed = await openssl(['pkcs12', '-in', out, '-nokeys', '-passin', `file:${join(work, 'password')}`]);
    expect(listed.stdout).toContain('friendlyName: tomcat');
  });

  test.each<
    [string, (dir: string) => string[], (dir: string) => Record<string, string>, number, (dir: string) => string]
  >([
    [
      'refuses to run outside a deploy hook',
      (dir) => ['--out', join(dir, 'x.p12'), '--password-file', join(dir, 'password')],
      () => ({ PATH }),
      2,
      () =>
        'pkcs12: Cannot find the certificate: ACME_HOOK_CERT_PATH is not set; run this as a haproxy-acme deploy hook\n',
    ],
    [
      'needs --password-file (there is no way to pass the password itself)',
      (dir) => ['--out', join(dir, 'x.p12')],
      () => envFor('rsa'),
      2,
      () => 'pkcs12: usage: pkcs12 --out PATH --password-file FILE [--mode MODE] [--friendly-name NAME]\n',
    ],
    [
      'refuses a mode that is not octal',
      (dir) => ['--out', join(dir, 'x.p12'), '--password-file', join(dir, 'password'), '--mode', 'u=rw'],
      () => envFor('rsa'),
      2,
      () => 'pkcs12: Cannot use --mode "u=rw": expected octal like 0640\n',
    ],
    [
      'refuses an empty password',
      (dir) => ['--out', join(dir, 'x.p12'), '--password-file', join(dir, 'empty')],
      () => envFor('rsa'),
      1,
      (dir) => `pkcs12: Cannot use password file "${join(dir, 'empty')}": its first line is empty\n`,
    ],
    [
      'refuses a key that does not match the certificate',
      (dir) => ['--out', join(dir, 'x.p12'), '--password-file', join(dir, 'password')],
      () => ({ ...envFor('ec'), ACME_HOOK_KEY_PATH: join(CERTS, 'mismatch.key.pem') }),
      1,
      () =>
        `pkcs12: Cannot bundle "${join(CERTS, 'ec-leaf.pem')}": the key "${join(CERTS, 'mismatch.key.pem')}" does not match it\n`,
    ],
  ])('pkcs12 %s', async (_name, args, env, code, stderr) => {
    await fsp.writeFile(join(work, 'empty'), '\nsecond line\n', { mode: 0o600 });
    const result = await run('pkcs12', args(work), env(work));
    expect(result).toEqual({ code, stdout: '', stderr: stderr(work) });
    expect(await fsp.readdir(work)).not.toContain('x.p12');
    expect((await fsp.readdir(work)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('pkcs12 rejects --password with the usage line', async () => {
    const result = await run('pkcs12', ['--out', join(work, 'x.p12'), '--password', 'hunter2'], envFor('rsa'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pkcs12: Unknown option '--password'/);
    expect(result.stderr).toContain('usage: pkcs12 --out PATH --password-file FILE');
  });

  test('pkcs12 warns when the password file is readable by others', async () => {
    await fsp.chmod(join(work, 'password'), 0o644);
    const result = await run(
      'pkcs12',
      ['--out', join(work, 'x.p12'), '--password-file', join(work, 'password')],
      envFor('rsa'),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `pkcs12: warning: password file "${join(work, 'password')}" is readable by other users (mode 0644); run "chmod 600" on it\n`,
    );
  });
});

describe('hooks/install-copy', () => {
  test('install-copy installs cert, key and fullchain with the owner and mode', async () => {
    const dest = await tempDir('install-copy-dest');
    try {
      const [cert, key, fullchain] = ['cert.pem', 'key.pem', 'fullchain.pem'].map((name) => join(dest, name)) as [
        string,
        string,
        string,
      ];
      await fsp.writeFile(key, 'old key', { mode: 0o644 });
      const args = [
        '--cert',
        cert,
        '--key',
        key,
        '--fullchain',
        fullchain,
        '--owner',
        `${OWNER.uid}:${OWNER.gid}`,
        '--mode',
        '0640',
      ];
      const result = await run('install-copy', args, envFor('ec'));
      expect(result).toEqual({
        code: 0,
        stdout: [cert, key, fullchain]
          .map((path) => `install-copy: installed "${path}" (mode 0640, owner ${OWNER.uid}:${OWNER.gid})\n`)
          .join(''),
        stderr: '',
      });
      expect(await fsp.readFile(cert, 'utf8')).toBe(certs.ecLeaf);
      expect(await fsp.readFile(key, 'utf8')).toBe(certs.ecLeafKey);
      expect(await fsp.readFile(fullchain, 'utf8')).toBe(certs.ecLeaf + certs.ecIntermediate);
      for (const path of [cert, key, fullchain]) {
        const info = await fsp.stat(path);
        expect([info.mode & 0o7777, info.uid, info.gid]).toEqual([0o640, OWNER.uid, OWNER.gid]);
      }
      expect((await fsp.readdir(dest)).sort()).toEqual(['cert.pem', 'fullchain.pem', 'key.pem']);
    } finally {
      await fsp.rm(dest, { recursive: true, force: true });
    }
  });

  test('install-copy defaults to mode 0600 and keeps the current owner', async () => {
    const [cert, key] = [join(work, 'c.pem'), join(work, 'k.pem')];
    const result = await run('install-copy', ['--cert', cert, '--key', key], envFor('rsa'));
    expect(result.code).toBe(0);
    for (const path of [cert, key]) {
      const info = await fsp.stat(path);
      expect([info.mode & 0o7777, info.uid]).toEqual([0o600, ME.uid]);
    }
  });

  test('install-copy changes nothing when one destination directory is missing', async () => {
    const [cert, key] = [join(work, 'c.pem'), join(work, 'missing', 'k.pem')];
    await fsp.writeFile(cert, 'old cert');
    const result = await run('install-copy', ['--cert', cert, '--key', key], envFor('ec'));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `install-copy: Cannot install "${key}": directory "${dirname(key)}" does not exist\n`,
    });
    expect(await fsp.readFile(cert, 'utf8')).toBe('old cert');
    expect((await fsp.readdir(work)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  const USAGE = 'usage: install-copy --cert DEST --key DEST [--fullchain DEST] [--owner USER[:GROUP]] [--mode MODE]\n';
  test.each<[string, string[], Record<string, string> | 'hook', string]>([
    [
      'refuses to run without ACME_HOOK_CERT_PATH',
      ['--cert', 'C', '--key', 'K'],
      { PATH },
      'install-copy: Cannot find the certificate: ACME_HOOK_CERT_PATH is not set; run this as a haproxy-acme deploy hook\n',
    ],
    ['needs --key', ['--cert', 'C'], 'hook', `install-copy: Cannot install: --key is required\n${USAGE}`],
    [
      'needs a value after --owner',
      ['--cert', 'C', '--key', 'K', '--owner'],
      'hook',
      `install-copy: Cannot parse --owner: it needs a value\n${USAGE}`,
    ],
    [
      'refuses an unknown argument',
      ['--cert', 'C', '--key', 'K', '--force'],
      'hook',
      `install-copy: Cannot parse "--force": unknown argument\n${USAGE}`,
    ],
    [
      'refuses a symbolic mode',
      ['--cert', 'C', '--key', 'K', '--mode', 'a+r'],
      'hook',
      `install-copy: Cannot use --mode "a+r": expected octal like 0640\n${USAGE}`,
    ],
  ])('install-copy %s', async (_name, args, env, stderr) => {
    const paths = args.map((arg) => (arg === 'C' || arg === 'K' ? join(work, arg) : arg));
    const result = await run('install-copy', paths, env === 'hook' ? envFor('ec') : env);
    expect(result).toEqual({ code: 2, stdout: '', stderr });
    expect(await fsp.readdir(work)).not.toEqual(expect.arrayContaining(['C']));
  });
});

describe('hooks/snap-restart', () => {
  const snapctlEnv = (extra: Record<string, string>): Record<string, string> => ({
    ...hookEnvironment(SAMPLE_CERT, { PATH: `${join(HOOK_FIXTURES, 'snapctl')}:/usr/bin:/bin` }),
    SNAPCTL_RECORD: join(work, 'calls'),
    ...extra,
  });

  test('snap-restart runs "snapctl restart" for each service in order', async () => {
    const result = await run('snap-restart', ['haproxy-acme.haproxy', 'haproxy-acme.daemon'], snapctlEnv({}));
    expect(result).toEqual({
      code: 0,
      stdout:
        'Restarted.\nsnap-restart: restarted "haproxy-acme.haproxy"\nRestarted.\nsnap-restart: restarted "haproxy-acme.daemon"\n',
      stderr: '',
    });
    expect(await fsp.readFile(join(work, 'calls'), 'utf8')).toBe(
      'restart haproxy-acme.haproxy\nrestart haproxy-acme.daemon\n',
    );
  });

  test('snap-restart goes on after a failure and exits 1', async () => {
    const result = await run('snap-restart', ['x.a', 'x.bad', 'x.c'], snapctlEnv({ SNAPCTL_FAIL: 'x.bad' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: error running snapctl: unknown service: "x.bad"\nsnap-restart: Cannot restart "x.bad": snapctl restart exited with status 1\n',
    );
    expect(await fsp.readFile(join(work, 'calls'), 'utf8')).toBe('restart x.a\nrestart x.bad\nrestart x.c\n');
  });

  test.each<[string, string[], () => Record<string, string>, string]>([
    [
      'needs a service',
      [],
      () => snapctlEnv({}),
      'snap-restart: Cannot restart: no service named\nusage: snap-restart SERVICE...\n',
    ],
    [
      'says so when snapctl is missing (not inside a snap)',
      ['x.a'],
      () => ({ ...snapctlEnv({}), PATH: work }),
      'snap-restart: Cannot restart x.a: snapctl is not on PATH; this hook only works inside a snap\n',
    ],
  ])('snap-restart %s', async (_name, args, env, stderr) => {
    expect(await run('snap-restart', args, env())).toEqual({ code: 2, stdout: '', stderr });
  });
});
