/**
 * snap/immich-distribution/snapcraft.yaml, the changes Immich Distribution's maintainer merges: it must
 * stay in step with this snap (the same part, the same wrappers and layout) and its embedding settings
 * must be ones src/snap accepts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EMBEDDING_VARIABLES, snapEmbedding, snapLayout } from '../../../src/snap';
import { expandSnapVariables, readSnapcraftYaml, REPO_ROOT, type SnapcraftYaml } from '../../fixtures/snap/primeTree';

let fragment: Pick<SnapcraftYaml, 'apps' | 'environment' | 'parts'>;
let ours: SnapcraftYaml;

beforeAll(async () => {
  fragment = parse(await readFile(join(REPO_ROOT, 'snap', 'immich-distribution', 'snapcraft.yaml'), 'utf8')) as typeof fragment;
  ours = await readSnapcraftYaml();
});

describe('snap/immich-distribution/snapcraft.yaml', () => {
  test("it keeps Immich Distribution's app names (haproxy, lets-encrypt, the acme timer) and adds the CLI", () => {
    const apps = Object.fromEntries(Object.entries(fragment.apps).map(([name, app]) => [name, app.command]));
    expect(apps).toEqual({
      haproxy: 'bin/haproxy-wrapper',
      'lets-encrypt': 'bin/acme-wrapper __snap lets-encrypt',
      acme: 'bin/acme-wrapper renew',
      'haproxy-acme': 'bin/acme-wrapper',
    });
    expect((fragment.apps.acme as Record<string, unknown>).timer).toBe('00:00-24:00/2');
    expect(fragment.apps.haproxy?.['reload-command']).toBe(ours.apps.haproxy?.['reload-command']);
  });

  test('its haproxy-acme part builds exactly as this snap does, on the same Node release', () => {
    const { source: _ours, ...build } = ours.parts['haproxy-acme'] as Record<string, unknown>;
    const { source, 'source-tag': tag, ...theirs } = fragment.parts['haproxy-acme'] as Record<string, unknown>;
    expect(theirs).toEqual(Object.fromEntries(Object.entries(build).filter(([key]) => key !== 'prime')));
    expect([typeof source, tag]).toEqual(['string', `v${ours.version}`]);
  });

  test('its environment gives the CLI the layout src/snap creates, and embedding settings src/snap accepts', () => {
    const base = { SNAP: '/snap/immich-distribution/1', SNAP_DATA: '/var/snap/immich-distribution/1', SNAP_COMMON: '/var/snap/immich-distribution/common' };
    const env = Object.fromEntries(Object.entries(fragment.environment ?? {}).map(([key, value]) => [key, expandSnapVariables(value, base)]));
    const layout = snapLayout(base);
    expect([env.ACME_HAPROXY_SOCKET, env.ACME_HAPROXY_CRT_LIST, env.ACME_HAPROXY_MASTER_SOCKET]).toEqual([layout.adminSocket, layout.crtList, layout.masterSocket]);
    expect(snapEmbedding(env)).toEqual({
      defaultBackend: '127.0.0.1:3001',
      appCheckUri: '/server-info/ping',
      statsUri: '/haproxy',
      errorfile503: '/snap/immich-distribution/1/etc/5xx.http',
      renewerService: undefined,
    });
    expect(Object.values(EMBEDDING_VARIABLES).filter((name) => env[name] === undefined)).toEqual([]);
  });
});
