/** runSnapCommand() in-process, with a memory Snapctl (a fake of our own interface) and real temp dirs. */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWrapperOptions, renderSnapHaproxyConfig, runSnapCommand, snapLayout, type SnapCommandDeps, type Snapctl } from '../../../src/snap';

class MemorySnapctl implements Snapctl {
  readonly calls: string[][] = [];
  constructor(readonly values: Record<string, unknown>, private readonly failGet?: Error) {}
  async get(keys: readonly string[]): Promise<Record<string, unknown>> {
    this.calls.push(['get', ...keys]);
    if (this.failGet !== undefined) throw this.failGet;
    return Object.fromEntries(keys.filter((key) => Object.hasOwn(this.values, key)).map((key) => [key, this.values[key]]));
  }
  async set(values: Readonly<Record<string, string>>): Promise<void> {
    this.calls.push(['set', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
    Object.assign(this.values, values);
  }
  async restart(services: readonly string[]): Promise<void> {
    this.calls.push(['restart', ...services]);
  }
}

let root: string;
let out: string;
let err: string;

function deps(snapctl: Snapctl, isPortFree: (port: number) => Promise<boolean> = async () => true): SnapCommandDeps {
  return {
    env: { SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common'), SNAP_INSTANCE_NAME: 'haproxy-acme_test' },
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    snapctl,
    isPortFree,
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'haproxy-acme-snapcmd-'));
  await Promise.all([mkdir(join(root, 'data')), mkdir(join(root, 'common'))]);
  out = '';
  err = '';
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runSnapCommand()', () => {
  test.each<[string[], string]>([
    [[], 'Cannot run "acme __snap ": expected one of install, configure, haproxy-config\n'],
    [['renew'], 'Cannot run "acme __snap renew": expected one of install, configure, haproxy-config\n'],
    [['configure', '--force'], 'Cannot run "acme __snap configure --force": expected one of install, configure, haproxy-config\n'],
    [['toString'], 'Cannot run "acme __snap toString": expected one of install, configure, haproxy-config\n'],
  ])('runSnapCommand(%j) refuses with exit 2', async (args, message) => {
    const snapctl = new MemorySnapctl({});
    expect(await runSnapCommand(args, deps(snapctl))).toBe(2);
    expect([err, snapctl.calls]).toEqual([message, []]);
  });

  test('runSnapCommand(["haproxy-config"]) writes the rendered configuration 0600 and creates the layout', async () => {
    const values = { 'acme-port': 34555, 'https-enabled': true, 'haproxy-backend': '127.0.0.1:3000' };
    expect(await runSnapCommand(['haproxy-config'], deps(new MemorySnapctl(values)))).toBe(0);
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    const wrapper = parseWrapperOptions(values);
    const expected = wrapper.ok && renderSnapHaproxyConfig({
      wrapper: wrapper.value,
      responder: { kind: 'tcp', host: '127.0.0.1', port: 34555 },
      paths: { adminSocket: layout.adminSocket, crtList: layout.crtList },
    });
    expect(await readFile(layout.haproxyConfig, 'utf8')).toBe(expected);
    expect([(await stat(layout.haproxyConfig)).mode & 0o777, (await stat(layout.crtList)).mode & 0o777]).toEqual([0o600, 0o600]);
    expect([out, err]).toEqual([`Wrote "${layout.haproxyConfig}"\n`, '']);
  });

  test('runSnapCommand(["haproxy-config"]) with a bad option writes nothing and exits 2', async () => {
    const snapctl = new MemorySnapctl({ 'haproxy-http-bind': 'everywhere' });
    expect(await runSnapCommand(['haproxy-config'], deps(snapctl))).toBe(2);
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    await expect(stat(layout.haproxyConfig)).rejects.toThrow('ENOENT');
    expect(err).toBe(
      'Invalid snap option haproxy-http-bind "everywhere": expected ADDR:PORT such as "*:80", "0.0.0.0:80", "127.0.0.1:8080" or "[::]:80"\n' +
        `Cannot write "${layout.haproxyConfig}": 1 option is invalid\n`,
    );
  });

  test('runSnapCommand(["configure"]) sets the picked port and restarts the instance\'s services', async () => {
    const snapctl = new MemorySnapctl({});
    const asked: number[] = [];
    const code = await runSnapCommand(['configure'], deps(snapctl, async (port) => (asked.push(port), port > 34001)));
    expect(code).toBe(0);
    expect(snapctl.calls.slice(1)).toEqual([['set', 'acme-port=34002'], ['restart', 'haproxy-acme_test.haproxy', 'haproxy-acme_test.renewer']]);
    expect(asked).toEqual([34000, 34001, 34002]);
  });

  test('runSnapCommand(["configure"]) refuses a responder socket path that would add a directive, and sets nothing', async () => {
    const attack = 'unix:/a\nglobal\nstats socket ipv4@127.0.0.1:9999 level admin';
    const snapctl = new MemorySnapctl({ 'acme-http-address': attack });
    expect(await runSnapCommand(['configure'], deps(snapctl))).toBe(2);
    expect(err).toBe(
      `Invalid snap option acme-http-address ${JSON.stringify(attack)}: the socket path cannot go into HAProxy's configuration: ` +
        'it contains a newline, which HAProxy would not read as part of one word; use printable ASCII without spaces, "#", quotes, "\\" or "$"\n' +
        'Cannot apply the snap options; nothing was changed: 1 option is invalid\n',
    );
    expect([out, snapctl.calls.map((call) => call[0]), snapctl.values]).toEqual(['', ['get'], { 'acme-http-address': attack }]);
  });

  test('runSnapCommand(["configure"]) refuses what the haproxy service could not render, e.g. a socket path over 1024 characters', async () => {
    const data = join(root, 'd'.repeat(1010 - root.length));
    const snapctl = new MemorySnapctl({ 'acme-port': 34001 });
    const d = deps(snapctl);
    expect(await runSnapCommand(['configure'], { ...d, env: { ...d.env, SNAP_DATA: data } })).toBe(2);
    const socket = `${data}/haproxy/admin.sock`;
    expect(err).toBe(
      `Cannot render haproxy.cfg with the runtime socket path "${socket.slice(0, 80)}…": it is longer than 1024 characters\n` +
        'Cannot apply the snap options; nothing was changed: 1 option is invalid\n',
    );
    expect(snapctl.calls.map((call) => call[0])).toEqual(['get']);
  });

  test('runSnapCommand(["configure"]) maps an unexpected failure to exit 1 with its message', async () => {
    const snapctl = new MemorySnapctl({}, new TypeError('socket closed'));
    expect(await runSnapCommand(['configure'], deps(snapctl))).toBe(1);
    expect(err).toBe('Cannot run the snap configure command: socket closed\n');
  });

  test('runSnapCommand(["configure"]) without an instance name fails before restarting anything', async () => {
    const snapctl = new MemorySnapctl({ 'acme-port': 34001 });
    const d = deps(snapctl);
    const code = await runSnapCommand(['configure'], { ...d, env: { ...d.env, SNAP_INSTANCE_NAME: undefined } });
    expect([code, err]).toEqual([2, 'Cannot restart the services: $SNAP_INSTANCE_NAME is not set; run this inside the snap\n']);
    expect(snapctl.calls.map((call) => call[0])).toEqual(['get']);
  });
});
