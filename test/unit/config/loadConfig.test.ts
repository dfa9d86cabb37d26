import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { CONFIG_KEYS, loadConfig, type LoadConfigOptions } from '../../../src/config';

const FIXTURE_DIR = resolve(__dirname, '../../fixtures/snapctl');
const SNAP_KEYS = CONFIG_KEYS.flatMap((k) => (k.snap === undefined ? [] : [k.snap]));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejectionOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** A snapOptions fake that records the keys it was asked for. */
function fakeSnap(values: Record<string, unknown>): {
  calls: string[][];
  read: NonNullable<LoadConfigOptions['snapOptions']>;
} {
  const calls: string[][] = [];
  return {
    calls,
    read: async (keys) => {
      calls.push(keys);
      return values;
    },
  };
}

describe('loadConfig()', () => {
  test('loadConfig() does not ask for snap options outside a snap', async () => {
    const snap = fakeSnap({ 'acme-email': 'snap@example.com' });
    const config = await loadConfig({
      flags: {},
      env: { ACME_EMAIL: 'env@example.com' },
      snapOptions: snap.read,
      cwd: dir,
    });
    expect(config.email).toBe('env@example.com');
    expect(snap.calls).toEqual([]);
  });

  test('loadConfig() asks for every snap option in CONFIG_KEYS inside a snap, below env and flags', async () => {
    const snap = fakeSnap({ 'acme-email': 'snap@example.com', 'acme-port': 8080, 'acme-domain': 'snap.example.com' });
    const config = await loadConfig({
      flags: { domain: ['flag.example.com'] },
      env: { SNAP: '/snap/haproxy/1', SNAP_COMMON: '/var/snap/haproxy/common', ACME_PORT: '9090' },
      snapOptions: snap.read,
      cwd: dir,
    });
    expect(snap.calls).toEqual([SNAP_KEYS]);
    expect(config.email).toBe('snap@example.com');
    expect(config.httpAddress).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9090 });
    expect(config.domains).toEqual(['flag.example.com']);
    expect(config.home).toBe('/var/snap/haproxy/common/acme');
  });

  test('loadConfig() runs the real snapctl adapter with the env it was given', async () => {
    const output = join(dir, 'snap.json');
    await writeFile(output, JSON.stringify({ 'acme-domain': 'snap.example.com', 'acme-staging': 'true' }));
    const env = { SNAP: '/snap/haproxy/1', PATH: `${FIXTURE_DIR}:/usr/bin:/bin`, SNAPCTL_FIXTURE_OUTPUT: output };
    const config = await loadConfig({ flags: {}, env, cwd: dir });
    expect(config.domains).toEqual(['snap.example.com']);
    expect(config.directoryUrl).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
  });

  test('loadConfig() accepts a CA bundle path relative to cwd that holds a certificate', async () => {
    await writeFile(join(dir, 'roots.pem'), PEM);
    const config = await loadConfig({ flags: { caBundle: 'roots.pem' }, env: {}, cwd: dir });
    expect(config.caBundlePath).toBe(join(dir, 'roots.pem'));
  });

  test('loadConfig() rejects a CA bundle that does not exist, naming its source', async () => {
    const error = await rejectionOf(loadConfig({ flags: {}, env: { ACME_CA_BUNDLE: 'missing.pem' }, cwd: dir }));
    expect(error.message).toBe(`Invalid ACME_CA_BUNDLE "${join(dir, 'missing.pem')}": the file does not exist`);
    expect(error.source).toBe('ACME_CA_BUNDLE');
  });

  test('loadConfig() rejects a CA bundle without a CERTIFICATE block', async () => {
    await writeFile(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
    const error = await rejectionOf(
      loadConfig({
        flags: {},
        env: { SNAP: '/snap/x/1' },
        snapOptions: fakeSnap({ 'acme-ca-bundle': 'key.pem' }).read,
        cwd: dir,
      }),
    );
    expect(error.message).toBe(
      `Invalid snap option acme-ca-bundle "${join(dir, 'key.pem')}": the file contains no PEM CERTIFICATE block`,
    );
  });

  test.each<[string, string]>([
    ['a crt-list file', 'crt-list.txt'],
    ['a crt directory', 'certs'],
  ])('loadConfig() accepts %s relative to cwd', async (_case, name) => {
    await writeFile(join(dir, 'crt-list.txt'), '/etc/haproxy/certs/default.pem\n');
    await mkdir(join(dir, 'certs'));
    const config = await loadConfig({ flags: { haproxyCrtList: name }, env: {}, cwd: dir });
    expect(config.haproxy.crtList).toBe(join(dir, name));
  });

  test('loadConfig() rejects a crt-list that does not exist, naming its source', async () => {
    const error = await rejectionOf(loadConfig({ flags: {}, env: { ACME_HAPROXY_CRT_LIST: 'missing.txt' }, cwd: dir }));
    expect(error.message).toBe(
      `Invalid ACME_HAPROXY_CRT_LIST "${join(dir, 'missing.txt')}": the path does not exist; create the crt-list file or crt directory that haproxy.cfg names`,
    );
    expect(error.source).toBe('ACME_HAPROXY_CRT_LIST');
  });

  test('loadConfig() rejects a crt-list that is neither a file nor a directory', async () => {
    const snap = fakeSnap({ 'haproxy-crt-list': '/dev/null' });
    const error = await rejectionOf(
      loadConfig({ flags: {}, env: { SNAP: '/snap/x/1' }, snapOptions: snap.read, cwd: dir }),
    );
    expect(error.message).toBe(
      'Invalid snap option haproxy-crt-list "/dev/null": expected a crt-list file or a crt directory',
    );
    expect(error.source).toBe('snap option haproxy-crt-list');
  });

  test.each<[string, string]>([
    ['an absolute program that is executable', '/bin/sh -c true'],
    ['a bare name, looked up on PATH only when it runs', 'no-such-program-on-path restart'],
  ])('loadConfig() accepts a reload command with %s', async (_case, command) => {
    const config = await loadConfig({ flags: { haproxyReloadCmd: command }, env: {}, cwd: dir });
    expect(config.haproxy.reloadCommand?.[0]).toBe(command.split(' ')[0]);
  });

  test.each<[string, (dir: string) => Promise<string>, string]>([
    ['missing', async (d) => join(d, 'missing'), 'the program does not exist'],
    [
      'not executable',
      async (d) => {
        await writeFile(join(d, 'reload'), '#!/bin/sh\n');
        await chmod(join(d, 'reload'), 0o644);
        return join(d, 'reload');
      },
      'the program is not executable',
    ],
    ['a directory', async (d) => d, 'the program is not a file'],
  ])('loadConfig() rejects a reload program that is %s', async (_case, make, detail) => {
    const program = await make(dir);
    const error = await rejectionOf(loadConfig({ flags: { haproxyReloadCmd: `'${program}' now` }, env: {}, cwd: dir }));
    expect(error.message).toBe(`Invalid --haproxy-reload-cmd program "${program}": ${detail}`);
    expect(error.source).toBe('--haproxy-reload-cmd');
  });

  test('loadConfig() accepts deploy hooks with an executable absolute program', async () => {
    const flags = { deployHook: ['/bin/sh -c "echo a,b"'] };
    const config = await loadConfig({ flags, env: {}, cwd: dir });
    expect(config.deployHooks).toEqual([['/bin/sh', '-c', 'echo a,b']]);
  });

  test('loadConfig() refuses a deploy hook given as a bare name: its file must be checked', async () => {
    await expect(loadConfig({ flags: { deployHook: ['notify --now'] }, env: {}, cwd: dir })).rejects.toThrow(
      'Invalid --deploy-hook "notify --now": the program must be an absolute path, so its owner and mode can be checked, not "notify"',
    );
  });

  test.each<[string, (dir: string) => Partial<LoadConfigOptions>, string, string]>([
    ['a flag', (d) => ({ flags: { deployHook: ['/bin/true', `${d}/missing a,b`] } }), 'missing', '--deploy-hook'],
    ['the environment', (d) => ({ env: { ACME_DEPLOY_HOOK: `'${d}/missing'` } }), 'missing', 'ACME_DEPLOY_HOOK'],
    [
      'a snap JSON list',
      (d) => ({
        env: { SNAP: '/snap/x/1' },
        snapOptions: fakeSnap({ 'acme-deploy-hook': ['/bin/true', `${d}/hook.sh --x`] }).read,
      }),
      'hook.sh',
      'snap option acme-deploy-hook',
    ],
  ])(
    'loadConfig() rejects a deploy hook from %s whose program is unusable, naming the source',
    async (_case, make, file, source) => {
      await writeFile(join(dir, 'hook.sh'), '#!/bin/sh\n');
      await chmod(join(dir, 'hook.sh'), 0o644);
      const error = await rejectionOf(loadConfig({ flags: {}, env: {}, cwd: dir, ...make(dir) }));
      const detail = file === 'missing' ? 'the program does not exist' : 'the program is not executable';
      expect(error.message).toBe(`Invalid ${source} program "${join(dir, file)}": ${detail}`);
      expect(error.source).toBe(source);
    },
  );

  test('loadConfig() rejects a deploy hook whose program is a directory', async () => {
    const error = await rejectionOf(loadConfig({ flags: { deployHook: [dir] }, env: {}, cwd: dir }));
    expect(error.message).toBe(`Invalid --deploy-hook program "${dir}": the program is not a file`);
  });

  test('loadConfig() passes on validation errors from every source', async () => {
    const error = await rejectionOf(loadConfig({ flags: { httpPort: '80abc' }, env: {}, cwd: dir }));
    expect(error.message).toBe('Invalid --http-port "80abc": expected a whole number from 1 to 65535');
  });

  test('loadConfig() passes on a failing snapctl', async () => {
    const env = { SNAP: '/snap/haproxy/1', PATH: '/nonexistent' };
    const error = await rejectionOf(loadConfig({ flags: {}, env, cwd: dir }));
    expect(error.message).toBe(
      `Cannot read snap options with "snapctl get -d ${SNAP_KEYS.join(' ')}": snapctl was not found on PATH`,
    );
  });
});
