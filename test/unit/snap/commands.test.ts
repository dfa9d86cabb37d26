/** runSnapCommand() in-process, with a memory Snapctl (a fake of our own interface) and real temp dirs. */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { LockError } from '../../../src/errors';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIND_DETAIL,
  parseWrapperOptions,
  renderSnapHaproxyConfig,
  runSnapCommand,
  snapLayout,
  type SnapCommandDeps,
  type Snapctl,
} from '../../../src/snap';

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
  async restart(services: readonly string[], options: { reload?: boolean } = {}): Promise<void> {
    this.calls.push(['restart', ...(options.reload === true ? ['--reload'] : []), ...services]);
  }
}

/** What the stand-in edges were asked to do, in order. */
let edges: string[];
/** Exit code of the stand-in `acme issue`; what it sees of the options when it runs. */
let issueStatus: number;
/** What the stand-in hasLegoLayout() answers. */
let legoPresent: boolean;

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
    uid: 0,
    adoptLego: async (layout) => void edges.push(`adopt ${layout.home} ${layout.crtList}`),
    hasLegoLayout: async () => legoPresent,
    writeManualCrtList: async (_home, target) => {
      edges.push(`manual ${target}`);
      await writeFile(target, '', { mode: 0o600 });
      return { written: 0, skipped: [{ path: '/h/bad.crt', problem: 'no key' }] };
    },
    reloadHaproxy: async (layout) => void edges.push(`reload ${layout.masterSocket}`),
    runAcme: async (args) => {
      const https = (snapctl as MemorySnapctl).values['https-enabled'];
      edges.push(`acme ${args.join(' ')} (https-enabled=${String(https)})`);
      return issueStatus;
    },
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'haproxy-acme-snapcmd-'));
  await Promise.all([mkdir(join(root, 'data')), mkdir(join(root, 'common'))]);
  out = '';
  err = '';
  edges = [];
  issueStatus = 0;
  legoPresent = true;
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const COMMAND_LIST = 'install, post-refresh, configure, haproxy-config, haproxy-reload, lets-encrypt';

describe('runSnapCommand()', () => {
  test.each<[string[], string]>([
    [[], `Cannot run "acme __snap ": expected one of ${COMMAND_LIST}\n`],
    [['renew'], `Cannot run "acme __snap renew": expected one of ${COMMAND_LIST}\n`],
    [['configure', '--force'], `Cannot run "acme __snap configure --force": expected one of ${COMMAND_LIST}\n`],
    [['toString'], `Cannot run "acme __snap toString": expected one of ${COMMAND_LIST}\n`],
  ])('runSnapCommand(%j) refuses with exit 2', async (args, message) => {
    const snapctl = new MemorySnapctl({});
    expect(await runSnapCommand(args, deps(snapctl))).toBe(2);
    expect([err, snapctl.calls]).toEqual([message, []]);
  });

  test('runSnapCommand(["haproxy-config"]) writes the rendered configuration 0600 and creates the layout', async () => {
    const values = { 'acme-port': 34555, 'https-enabled': true, 'haproxy-backend': '127.0.0.1:3001', 'acme-challenge-type': 'tls' };
    expect(await runSnapCommand(['haproxy-config'], deps(new MemorySnapctl(values)))).toBe(0);
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    const wrapper = parseWrapperOptions(values);
    const expected = wrapper.ok && renderSnapHaproxyConfig({
      wrapper: wrapper.value,
      responder: { kind: 'tcp', host: '127.0.0.1', port: 34555 },
      challengeType: 'tls-alpn-01',
      paths: layout,
      embedding: { appCheckUri: undefined, statsUri: undefined, errorfile503: undefined },
    });
    expect(await readFile(layout.haproxyConfig, 'utf8')).toBe(expected);
    expect([(await stat(layout.haproxyConfig)).mode & 0o777, (await stat(layout.crtList)).mode & 0o777]).toEqual([0o600, 0o600]);
    expect([out, err]).toEqual([`Wrote "${layout.haproxyConfig}"\n`, 'Not serving the certificate "/h/bad.crt": no key\n']);
    // lego's files are adopted before HAProxy reads the crt-list, and the manual crt-list exists before it starts.
    expect(edges).toEqual([`adopt ${layout.home} ${layout.crtList}`, `manual ${layout.manualCrtList}`]);
  });

  test('runSnapCommand(["haproxy-config"]) with a bad option writes nothing and exits 2', async () => {
    const snapctl = new MemorySnapctl({ 'haproxy-http-bind': 'everywhere' });
    expect(await runSnapCommand(['haproxy-config'], deps(snapctl))).toBe(2);
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    await expect(stat(layout.haproxyConfig)).rejects.toThrow('ENOENT');
    expect(err).toBe(
      `Invalid snap option haproxy-http-bind "everywhere": ${BIND_DETAIL}\n` +
        `Cannot write "${layout.haproxyConfig}": 1 option is invalid\n`,
    );
  });

  test('runSnapCommand(["configure"]) writes back every default and the picked port, reloads HAProxy and restarts the renewer', async () => {
    const snapctl = new MemorySnapctl({});
    const asked: number[] = [];
    const code = await runSnapCommand(['configure'], deps(snapctl, async (port) => (asked.push(port), port > 34001)));
    expect(code).toBe(0);
    expect(snapctl.calls.slice(1)).toEqual([
      [
        'set',
        'http-enabled=true',
        'https-enabled=false',
        'haproxy-http-bind=*:80',
        'haproxy-https-bind=*:443',
        'acme-challenge-type=http',
        'acme-port=34002',
      ],
      ['restart', '--reload', 'haproxy-acme_test.haproxy'],
      ['restart', 'haproxy-acme_test.renewer'],
    ]);
    expect(asked).toEqual([34000, 34001, 34002]);
  });

  test('runSnapCommand(["configure"]) in an embedding snap writes back its default backend and restarts its renewer, or none', async () => {
    const snapctl = new MemorySnapctl({ 'acme-port': 34100 });
    const d = deps(snapctl);
    const env = { ...d.env, ACME_SNAP_DEFAULT_BACKEND: '127.0.0.1:3001', ACME_SNAP_RENEWER_SERVICE: '' };
    expect(await runSnapCommand(['configure'], { ...d, env })).toBe(0);
    expect(snapctl.calls.slice(1)).toEqual([
      ['set', 'http-enabled=true', 'https-enabled=false', 'haproxy-http-bind=*:80', 'haproxy-https-bind=*:443', 'acme-challenge-type=http', 'haproxy-backend=127.0.0.1:3001'],
      ['restart', '--reload', 'haproxy-acme_test.haproxy'],
    ]);
  });

  test('runSnapCommand(["configure"]) never overwrites a set option, and skips set when all are set', async () => {
    const values = {
      'http-enabled': false,
      'https-enabled': true,
      'haproxy-http-bind': '*:8080',
      'haproxy-https-bind': '*:8443',
      'acme-challenge-type': 'tls',
      'acme-port': 34100,
    };
    const snapctl = new MemorySnapctl({ ...values });
    expect(await runSnapCommand(['configure'], deps(snapctl))).toBe(0);
    expect(snapctl.calls.map((call) => call[0])).toEqual(['get', 'restart', 'restart']);
    expect(snapctl.values).toEqual(values);
  });

  test('runSnapCommand(["configure"]) warns when port 80 is off while the CA validates there, and still applies it', async () => {
    const snapctl = new MemorySnapctl({ 'http-enabled': 'false', 'acme-port': 34100 });
    expect(await runSnapCommand(['configure'], deps(snapctl))).toBe(0);
    expect(out).toContain('Warning: http-enabled is false, so the CA cannot reach the HTTP-01 challenge on port 80');
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['acme-challenge-type', { 'acme-challenge-type': 'dns' }, 'Invalid snap option acme-challenge-type "dns"'],
    ['http-enabled', { 'http-enabled': 'no' }, 'Invalid snap option http-enabled "no": expected true or false'],
    ['https-redirect', { 'https-redirect': 'always' }, 'Invalid snap option https-redirect "always": expected true or false'],
    ['haproxy-https-bind', { 'haproxy-https-bind': '*:443 ssl crt /etc/shadow' }, 'Invalid snap option haproxy-https-bind "*:443 ssl crt /etc/shadow"'],
  ])('runSnapCommand(["configure"]) refuses a bad %s and sets nothing', async (_key, values, message) => {
    const snapctl = new MemorySnapctl({ ...values });
    expect(await runSnapCommand(['configure'], deps(snapctl))).toBe(2);
    expect(err).toContain(message);
    expect(snapctl.calls.map((call) => call[0])).toEqual(['get']);
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
    expect([code, err]).toEqual([2, 'Cannot find the snap\'s instance name: $SNAP_INSTANCE_NAME is not set; run this inside the snap\n']);
    expect(snapctl.calls.map((call) => call[0])).toEqual([]);
  });
});

describe('runSnapCommand() install, post-refresh, haproxy-reload and lets-encrypt', () => {
  const layout = () => snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });

  test.each([['install'], ['post-refresh']])('runSnapCommand(["%s"]) creates the layout and adopts lego\'s files', async (command) => {
    expect(await runSnapCommand([command], deps(new MemorySnapctl({ 'acme-port': 34100 })))).toBe(0);
    expect(edges).toEqual([`adopt ${layout().home} ${layout().crtList}`]);
    expect((await stat(join(layout().home, 'haproxy'))).mode & 0o777).toBe(0o700);
  });

  test('runSnapCommand(["install"]) in a home without lego\'s files only creates the layout, and reads no option', async () => {
    legoPresent = false;
    const snapctl = new MemorySnapctl({ 'https-enabled': 'sometimes' });
    expect(await runSnapCommand(['install'], deps(snapctl))).toBe(0);
    expect([edges, snapctl.calls, err]).toEqual([[], [], '']);
  });

  test('runSnapCommand(["post-refresh"]) with an option configure will refuse still succeeds, without adopting', async () => {
    expect(await runSnapCommand(['post-refresh'], deps(new MemorySnapctl({ 'https-enabled': 'sometimes' })))).toBe(0);
    expect(edges).toEqual([]);
    expect(err).toContain('Not adopting lego\'s files yet: Invalid snap option https-enabled "sometimes"');
  });

  test.each([['post-refresh'], ['haproxy-config']])(
    'runSnapCommand(["%s"]) goes on when the adoption fails, saying so: a refresh must not fail, nor HAProxy stay down',
    async (command) => {
      const d = deps(new MemorySnapctl({ 'acme-port': 34100 }));
      const failing: SnapCommandDeps = {
        ...d,
        adoptLego: async () => {
          throw new LockError('Cannot take the lock: "acme renew" (pid 4242) holds it', { lockPath: '/var/snap/x/common/acme/lock' });
        },
      };
      expect(await runSnapCommand([command], failing)).toBe(0);
      expect(err).toContain('Not adopting lego\'s files now: Cannot take the lock: "acme renew" (pid 4242) holds it; the next start of HAProxy');
    },
  );

  test('runSnapCommand(["haproxy-reload"]) renders, then reloads through the master socket', async () => {
    expect(await runSnapCommand(['haproxy-reload'], deps(new MemorySnapctl({ 'acme-port': 34100 })))).toBe(0);
    expect(edges).toEqual([`adopt ${layout().home} ${layout().crtList}`, `manual ${layout().manualCrtList}`, `reload ${layout().masterSocket}`]);
    expect(await readFile(layout().haproxyConfig, 'utf8')).toContain('frontend http');
  });

  const READY = { 'acme-domain': 'photos.example.org', 'acme-email': 'me@example.org', 'acme-port': 34100 };

  test('runSnapCommand(["lets-encrypt"]) turns HTTPS on and reloads before the issue, which then hot-loads', async () => {
    const snapctl = new MemorySnapctl({ ...READY });
    expect(await runSnapCommand(['lets-encrypt'], deps(snapctl))).toBe(0);
    expect(edges.slice(-2)).toEqual([`reload ${layout().masterSocket}`, 'acme issue (https-enabled=true)']);
    expect(await readFile(layout().haproxyConfig, 'utf8')).toContain('frontend https');
    expect(out).toContain('HTTPS is on.');
  });

  test('runSnapCommand(["lets-encrypt"]) with HTTPS already on only issues', async () => {
    const snapctl = new MemorySnapctl({ ...READY, 'https-enabled': true });
    expect(await runSnapCommand(['lets-encrypt'], deps(snapctl))).toBe(0);
    expect(edges).toEqual(['acme issue (https-enabled=true)']);
    expect(snapctl.calls.map((call) => call[0])).toEqual(['get']);
  });

  test('runSnapCommand(["lets-encrypt"]) whose issue fails puts https-enabled back and reloads again', async () => {
    issueStatus = 1;
    const snapctl = new MemorySnapctl({ ...READY });
    expect(await runSnapCommand(['lets-encrypt'], deps(snapctl))).toBe(1);
    expect(snapctl.values['https-enabled']).toBe('false');
    expect(edges.filter((edge) => edge.startsWith('reload')).length).toBe(2);
    expect(await readFile(layout().haproxyConfig, 'utf8')).not.toContain('frontend https');
    expect(err).toContain('No certificate was issued, so https-enabled is false again');
  });

  test.each<[string, Record<string, unknown>, number, string]>([
    ['no domain', { 'acme-email': 'me@example.org' }, 0, 'Set the domain first: sudo snap set haproxy-acme_test acme-domain="example.com"'],
    ['no email', { 'acme-domain': 'photos.example.org' }, 0, 'Set an email address first, for the Let\'s Encrypt account: sudo snap set haproxy-acme_test acme-email="user@example.com"'],
    ['port 80 off with http-01', { ...READY, 'http-enabled': false }, 0, 'Port 80 is off (http-enabled=false)'],
    ['not root', READY, 1000, 'Run this command as root: sudo haproxy-acme_test.lets-encrypt'],
  ])('runSnapCommand(["lets-encrypt"]) with %s changes nothing', async (_name, values, uid, message) => {
    const snapctl = new MemorySnapctl({ ...values });
    expect(await runSnapCommand(['lets-encrypt'], { ...deps(snapctl), uid })).toBe(uid === 0 ? 2 : 1);
    expect(err).toContain(message);
    expect([edges, snapctl.calls.filter((call) => call[0] !== 'get')]).toEqual([[], []]);
  });

  test('runSnapCommand(["lets-encrypt"]) with port 80 off and acme-challenge-type=tls issues', async () => {
    const snapctl = new MemorySnapctl({ ...READY, 'http-enabled': false, 'acme-challenge-type': 'tls' });
    expect(await runSnapCommand(['lets-encrypt'], deps(snapctl))).toBe(0);
    expect(await readFile(layout().haproxyConfig, 'utf8')).toContain('frontend tls_alpn_in');
  });
});
