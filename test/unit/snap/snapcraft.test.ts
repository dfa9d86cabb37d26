/**
 * snap/snapcraft.yaml parses, names only files that exist in the fake $SNAP (repo + built tree) and are
 * executable, and gives the apps the same paths as src/snap's layout. snapcraft cannot run here.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { snapLayout } from '../../../src/snap';
import { createFakeSnap, expandSnapVariables, readSnapcraftYaml, REPO_ROOT, type FakeSnap, type SnapcraftYaml } from '../../fixtures/snap/primeTree';

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

  test('the apps are haproxy and renewer (daemons) and acme (the CLI)', () => {
    const apps = Object.fromEntries(Object.entries(yaml.apps).map(([name, app]) => [name, [app.command, app.daemon ?? null]]));
    expect(apps).toEqual({
      haproxy: ['bin/haproxy-wrapper', 'simple'],
      acme: ['bin/acme-wrapper', null],
      renewer: ['bin/acme-wrapper daemon', 'simple'],
    });
  });

  test('apps and hooks plug only network and network-bind', () => {
    const plugs = [...Object.values(yaml.apps), ...Object.values(yaml.hooks ?? {})].flatMap((entry) => entry?.plugs ?? []);
    expect(new Set(plugs)).toEqual(new Set(['network', 'network-bind']));
  });

  test('the npm part bundles Node 20 and HAProxy is a stage package', () => {
    const npm = yaml.parts['haproxy-acme'];
    expect([npm?.plugin, npm?.['npm-include-node'], npm?.['npm-node-version']]).toEqual(['npm', true, '20']);
    expect(yaml.parts.haproxy?.['stage-packages']).toEqual(['haproxy']);
  });

  test.each(['haproxy', 'acme', 'renewer'])('the %s app command names an executable file of the built tree', async (app) => {
    const command = yaml.apps[app]!.command.split(' ')[0]!;
    expect(await isExecutableFile(join(fake.snap, command))).toBe(true);
  });

  test.each(['install', 'configure'])('the %s hook is declared and is an executable file in snap/hooks', async (hook) => {
    expect(Object.keys(yaml.hooks ?? {})).toContain(hook);
    expect(await isExecutableFile(join(REPO_ROOT, 'snap', 'hooks', hook))).toBe(true);
  });

  test('every "$SNAP/…" path the wrappers and hooks run exists in the built tree, executable where it is run', async () => {
    const scripts = [
      ...['acme-wrapper', 'haproxy-wrapper'].map((name) => join(REPO_ROOT, 'snap', 'local', name)),
      ...['install', 'configure'].map((name) => join(REPO_ROOT, 'snap', 'hooks', name)),
    ];
    const named = [...new Set((await Promise.all(scripts.map(snapPathsIn))).flat())].sort();
    expect(named).toEqual(['bin/acme-wrapper', 'bin/node', 'lib/node_modules/haproxy-acme/dist/main.js', 'usr/sbin/haproxy']);
    // usr/sbin/haproxy comes from the haproxy stage package (checked above), not from this repo.
    const ours = named.filter((path) => !path.endsWith('.js') && !path.startsWith('usr/'));
    expect(await Promise.all(ours.map((path) => isExecutableFile(join(fake.snap, path))))).toEqual([true, true]);
    // dist/ is the npm package's "files" entry, which `npm install -g` copies; `npm run build` makes it.
    expect((await stat(join(fake.snap, 'lib/node_modules/haproxy-acme/dist/main.js'))).isFile()).toBe(true);
  });

  test.each(['acme', 'renewer'])('the %s app environment points at the layout src/snap creates', async (app) => {
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

  test('the haproxy wrapper runs HAProxy on the rendered file with the master socket the apps use', async () => {
    const text = await readFile(join(REPO_ROOT, 'snap', 'local', 'haproxy-wrapper'), 'utf8');
    const layout = snapLayout({ SNAP_DATA: fake.data, SNAP_COMMON: fake.common });
    const exec = text.split('\n').find((line) => line.startsWith('exec '))!;
    const expanded = expandSnapVariables(exec, { SNAP: fake.snap, SNAP_DATA: fake.data, SNAP_COMMON: fake.common });
    expect(expanded).toBe(`exec "${fake.snap}/usr/sbin/haproxy" -W -S "${layout.masterSocket},mode,600" -f "${layout.haproxyConfig}"`);
  });
});
