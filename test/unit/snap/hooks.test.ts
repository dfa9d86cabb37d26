/**
 * The snap hooks run as real processes (snap/hooks/* → bin/acme-wrapper → node dist/main.js __snap …) in a
 * fake $SNAP assembled from snapcraft.yaml, against the stand-in snapctl (test/fixtures/snap/snapctl):
 * the test suite runs no snapd, so it is the only double. Needs `npm run build`.
 */
import { createServer, type Server } from 'node:net';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACME_PORT_RANGE, isTcpPortFree } from '../../../src/snap';
import { createFakeSnap, requireBuiltCli, type FakeSnap } from '../../fixtures/snap/primeTree';
import { runFile, type FileRun } from '../../fixtures/snap/runFile';

function runHook(fake: FakeSnap, hook: string, extraEnv: Record<string, string> = {}): Promise<FileRun> {
  return runFile(join(fake.snap, 'meta', 'hooks', hook), [], { ...fake.env, ...extraEnv }, 60_000);
}

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

const GET_CALL = expect.arrayContaining(['get', '-d', 'acme-domain', 'acme-port', 'https-enabled', 'haproxy-http-bind']);
const RELOAD_CALLS = [['restart', '--reload', 'haproxy-acme.haproxy'], ['restart', 'haproxy-acme.renewer']];
/** What configure writes back when nothing else is set (Immich Distribution's defaults). */
const DEFAULTS_WRITTEN = ['http-enabled=true', 'https-enabled=false', 'haproxy-http-bind=*:80', 'haproxy-https-bind=*:443', 'acme-challenge-type=http'];

let fake: FakeSnap;

beforeAll(() => {
  requireBuiltCli();
});

beforeEach(async () => {
  fake = await createFakeSnap();
});

afterEach(async () => {
  await fake.remove();
});

describe('install hook', () => {
  test('install creates $SNAP_COMMON/acme, its hooks/post-renew.d and $SNAP_DATA/haproxy 0700, and an empty crt-list 0600', async () => {
    const run = await runHook(fake, 'install');
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    const home = join(fake.common, 'acme');
    const modes = await Promise.all(
      [home, join(home, 'hooks'), join(home, 'hooks', 'post-renew.d'), join(fake.data, 'haproxy'), join(home, 'crt-list.txt')].map(modeOf),
    );
    expect(modes).toEqual([0o700, 0o700, 0o700, 0o700, 0o600]);
    expect(await readFile(join(home, 'crt-list.txt'), 'utf8')).toBe('');
  });

  test('install run again keeps the crt-list lines and tightens a directory left 0755', async () => {
    const home = join(fake.common, 'acme');
    await mkdir(home, { mode: 0o755 });
    await writeFile(join(home, 'crt-list.txt'), '/var/snap/haproxy-acme/common/acme/haproxy/a.pem\n');
    const run = await runHook(fake, 'install');
    expect(run.code).toBe(0);
    expect(await modeOf(home)).toBe(0o700);
    expect(await readFile(join(home, 'crt-list.txt'), 'utf8')).toBe('/var/snap/haproxy-acme/common/acme/haproxy/a.pem\n');
  });

  test('install without $SNAP_COMMON fails with a message naming it', async () => {
    const run = await runHook(fake, 'install', { SNAP_COMMON: '' });
    expect(run).toEqual({ code: 2, stdout: '', stderr: "Cannot find the snap's directories: $SNAP_COMMON is not set; run this inside the snap\n" });
  });
});

describe('configure hook', () => {
  test('configure accepts good options, keeps every one set, and only asks snapd to reload HAProxy and restart the renewer', async () => {
    const options = {
      'acme-domain': 'example.com photos.example.com',
      'acme-email': 'admin@example.com',
      'acme-staging': true,
      'acme-port': 34123,
      'acme-key-type': 'ec384',
      'acme-profile': 'tlsserver',
      'acme-directory': 'letsencrypt-staging',
      'acme-challenge-type': 'tls',
      'http-enabled': false,
      'https-enabled': true,
      'haproxy-http-bind': '*:80',
      'haproxy-https-bind': '[::]:443',
      'haproxy-backend': '127.0.0.1:3001',
    };
    await fake.setOptions(options);
    const run = await runHook(fake, 'configure');
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await fake.calls()).toEqual([GET_CALL, ...RELOAD_CALLS]);
    expect(await fake.options()).toEqual(options);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['acme-port', { 'acme-port': 'http' }, 'Invalid snap option acme-port "http": expected a whole number from 1 to 65535'],
    ['acme-port', { 'acme-port': 70000 }, 'Invalid snap option acme-port "70000": expected a whole number from 1 to 65535'],
    ['acme-domain', { 'acme-domain': 'bad_name!.example.com' }, 'Invalid snap option acme-domain "bad_name!.example.com"'],
    ['acme-email', { 'acme-email': 'not-an-email' }, 'Invalid snap option acme-email "not-an-email": expected an email address such as "admin@example.com"'],
    ['acme-staging', { 'acme-staging': 'perhaps' }, 'Invalid snap option acme-staging "perhaps": expected true or false'],
    ['acme-staging', { 'acme-staging': 'yes' }, 'Invalid snap option acme-staging "yes": expected true or false (Immich Distribution counted only the literal true'],
    ['acme-challenge-type', { 'acme-challenge-type': 'dns' }, 'Invalid snap option acme-challenge-type "dns"'],
    ['http-enabled', { 'http-enabled': 'off' }, 'Invalid snap option http-enabled "off": expected true or false'],
    ['acme-key-type', { 'acme-key-type': 'dsa' }, 'Invalid snap option acme-key-type "dsa": expected one of ec256, ec384, rsa2048, rsa3072, rsa4096'],
    ['acme-directory', { 'acme-directory': 'http://ca.example.com/dir' }, 'Invalid snap option acme-directory "http://ca.example.com/dir": plain http is only allowed'],
    ['acme-ca-bundle', { 'acme-ca-bundle': '/nonexistent/ca.pem' }, 'Invalid snap option acme-ca-bundle "/nonexistent/ca.pem": the file does not exist'],
    ['https-enabled', { 'https-enabled': 'maybe' }, 'Invalid snap option https-enabled "maybe": expected true or false'],
    ['haproxy-http-bind', { 'haproxy-http-bind': 'localhost' }, 'Invalid snap option haproxy-http-bind "localhost": expected ADDR:PORT'],
    ['haproxy-https-bind', { 'haproxy-https-bind': '*:443\n    bind *:8443' }, 'Invalid snap option haproxy-https-bind "*:443\\n    bind *:8443": expected ADDR:PORT'],
    ['haproxy-backend', { 'haproxy-backend': '*:3000' }, 'Invalid snap option haproxy-backend "*:3000": expected ADDR:PORT such as "127.0.0.1:3001"'],
    ['haproxy-socket', { 'haproxy-socket': '/run/haproxy/admin.sock' }, 'Invalid snap option haproxy-socket "/run/haproxy/admin.sock": this snap uses the runtime socket'],
    ['acme-home', { 'acme-home': '/var/lib/acme' }, 'Invalid snap option acme-home "/var/lib/acme": this snap keeps its state in $SNAP_COMMON/acme'],
    ['acme-port', { 'acme-port': 80 }, 'Invalid snap option acme-port "80": haproxy-http-bind "*:80" listens on the same port'],
    [
      'acme-http-address',
      { 'acme-http-address': 'unix:/a\nglobal\nstats socket ipv4@127.0.0.1:9999 level admin' },
      'Invalid snap option acme-http-address "unix:/a\\nglobal\\nstats socket ipv4@127.0.0.1:9999 level admin": the socket path cannot go ' +
        'into HAProxy\'s configuration: it contains a newline, which HAProxy would not read as part of one word; ' +
        'use printable ASCII without spaces, "#", quotes, "\\" or "$"',
    ],
  ])('configure rejects a bad %s, names it, exits non-zero and sets nothing (%j)', async (_option, options, message) => {
    await fake.setOptions(options);
    const run = await runHook(fake, 'configure');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr.endsWith('Cannot apply the snap options; nothing was changed: 1 option is invalid\n')).toBe(true);
    expect(await fake.calls()).toEqual([GET_CALL]);
    expect(await fake.options()).toEqual(options);
  });

  test('configure reports every bad option at once', async () => {
    await fake.setOptions({ 'acme-port': 'x', 'https-enabled': 'yes please', 'acme-email': 'nobody' });
    const run = await runHook(fake, 'configure');
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('Invalid snap option ')).sort()).toEqual([
      'Invalid snap option acme-email "nobody": expected an email address such as "admin@example.com"',
      'Invalid snap option acme-port "x": expected a whole number from 1 to 65535',
      'Invalid snap option https-enabled "yes please": expected true or false',
    ]);
    expect(run.stderr).toContain('nothing was changed: 3 options are invalid\n');
    expect(await fake.calls()).toEqual([GET_CALL]);
  });

  describe('acme-port picking', () => {
    let holder: Server | undefined;
    let held: number;

    beforeEach(async () => {
      // Hold the first port the hook would pick, so that it has to move on: the pick is a real bind test.
      held = ACME_PORT_RANGE.first;
      while (held < ACME_PORT_RANGE.last && !(await isTcpPortFree(held))) held += 1;
      holder = createServer();
      await new Promise<void>((resolve, reject) => {
        holder!.once('error', reject);
        holder!.listen(held, '127.0.0.1', () => resolve());
      });
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => (holder === undefined ? resolve() : holder.close(() => resolve())));
    });

    test('configure picks a free acme-port in 34000-36000 on 127.0.0.1, skipping a taken one, and sets it', async () => {
      await fake.setOptions({ 'acme-domain': 'example.com' });
      const run = await runHook(fake, 'configure');
      expect(run.code).toBe(0);
      const picked = (await fake.options())['acme-port'] as number;
      // Not "> held": a lower port another test held at probe time may have been freed since.
      expect([picked !== held, picked >= ACME_PORT_RANGE.first, picked <= ACME_PORT_RANGE.last]).toEqual([true, true, true]);
      expect(run.stdout).toBe(`Picked acme-port ${picked}, free on 127.0.0.1\n`);
      expect(await fake.calls()).toEqual([GET_CALL, ['set', ...DEFAULTS_WRITTEN, `acme-port=${picked}`], ...RELOAD_CALLS]);
    });

    test('configure treats an empty acme-port as unset and picks one', async () => {
      await fake.setOptions({ 'acme-port': '' });
      const run = await runHook(fake, 'configure');
      expect(run.code).toBe(0);
      const picked = (await fake.options())['acme-port'] as number;
      expect([picked !== held, picked >= ACME_PORT_RANGE.first, picked <= ACME_PORT_RANGE.last]).toEqual([true, true, true]);
    });
  });

  test('configure fails with the snapctl message when snapctl itself fails', async () => {
    const run = await runHook(fake, 'configure', { SNAPCTL_STORE: join(fake.root, 'missing.json') });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Cannot read snap options with "snapctl get -d acme-home .*": /);
    expect(await fake.calls()).toEqual([GET_CALL]);
  });
});
