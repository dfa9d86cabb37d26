/**
 * migrateHome(): a home written by the release before the layout-2 migration
 * (test/fixtures/homes/layout1) becomes layout 2 in place, idempotently, whatever step a kill
 * interrupted, and hostile or damaged files are left alone.
 */
import * as fsp from 'node:fs/promises';
import { cp, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  FileDeployStateStore,
  FileRenewalStateStore,
  HOME_LAYOUT,
  migrateHome,
  readHomeLayout,
  type FileSystem,
} from '../../../src/storage';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'homes', 'layout1');
const NODE = 'node-1';
const ALPHA_ENDPOINT = 'unix@/tmp/haproxy-acme-standalone-HC8FxN/admin.sock';
const LEGACY = (serial: string) => ({
  endpoints: { 'unix@/run/haproxy/admin.sock': { status: 'pending', serial, at: '2026-12-01T00:00:00.000Z' } },
});

/** Every entry under `root`: file contents, symlink targets, directories. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const stat = await lstat(path);
      const key = relative(root, path);
      if (stat.isSymbolicLink()) out[key] = `-> ${await readlink(path)}`;
      else if (stat.isDirectory()) {
        out[key] = 'dir';
        await walk(path);
      } else out[key] = await readFile(path, 'utf8');
    }
  }
  await walk(root);
  return out;
}

describe('migrateHome()', () => {
  let home: string;
  let logger: CapturingLogger;
  beforeEach(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'haproxy-acme-migrate-')), 'home');
    await cp(FIXTURE, home, { recursive: true, verbatimSymlinks: true });
    // Two more certificates' deploy state of the previous layout, so a kill can fall between files.
    await writeFile(join(home, 'deploy', 'beta.example.test.json'), JSON.stringify(LEGACY('7A3C81C0229201C1')));
    await writeFile(join(home, 'deploy', 'gamma.example.test.json'), JSON.stringify(LEGACY('01')));
    logger = new CapturingLogger();
  });
  afterEach(async () => {
    await rm(join(home, '..'), { recursive: true, force: true });
  });

  test('brings a layout-1 home to layout 2: deploy state keyed by this node, layout.json last, nothing else changed', async () => {
    const before = await snapshot(home);
    const migration = await migrateHome(home, { node: NODE, logger });
    const after = await snapshot(home);
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect({
      migration,
      changed,
      alpha: JSON.parse(after['deploy/alpha.example.test.json']!),
      layout: JSON.parse(after['layout.json']!),
    }).toEqual({
      migration: {
        from: 1,
        to: HOME_LAYOUT,
        rewritten: [
          'deploy/alpha.example.test.json',
          'deploy/beta.example.test.json',
          'deploy/gamma.example.test.json',
        ],
        skipped: [],
      },
      changed: [
        'deploy/alpha.example.test.json',
        'deploy/beta.example.test.json',
        'deploy/gamma.example.test.json',
        'layout.json',
      ],
      alpha: {
        // Kept for the previous release (a snap revert): it reads `endpoints` and ignores `nodes`.
        endpoints: {
          [ALPHA_ENDPOINT]: {
            status: 'deployed',
            serial: '40ACE159B3D1C9F4',
            at: '2026-12-05T04:25:29.379Z',
            method: 'add',
          },
        },
        nodes: {
          [NODE]: {
            endpoints: {
              [ALPHA_ENDPOINT]: {
                status: 'deployed',
                serial: '40ACE159B3D1C9F4',
                at: '2026-12-05T04:25:29.379Z',
                method: 'add',
              },
            },
          },
        },
      },
      layout: { layout: 2 },
    });
  });

  test('what the stores read is the same before and after', async () => {
    const read = async () => {
      const deploy = new FileDeployStateStore({ home, node: NODE });
      const renewal = new FileRenewalStateStore({ home });
      return Promise.all(
        ['alpha.example.test', 'beta.example.test', 'gamma.example.test'].map(async (name) => [
          await deploy.loadAllNodes(name),
          await renewal.load(name),
        ]),
      );
    };
    const before = await read();
    await migrateHome(home, { node: NODE, logger });
    expect(await read()).toEqual(before);
  });

  test('a second run on a layout-2 home changes nothing and reports from 2', async () => {
    await migrateHome(home, { node: NODE, logger });
    const before = await snapshot(home);
    // Even a file of the previous layout put back by hand is not touched again: the marker says done.
    await expect(migrateHome(home, { node: 'node-2', logger })).resolves.toEqual({
      from: 2,
      to: 2,
      rewritten: [],
      skipped: [],
    });
    expect(await snapshot(home)).toEqual(before);
  });

  test('a run stopped at any write leaves a home that reads the same, and the next run finishes it', async () => {
    const reference = await mkdtemp(join(tmpdir(), 'haproxy-acme-migrate-ref-'));
    try {
      await cp(home, join(reference, 'home'), { recursive: true, verbatimSymlinks: true });
      await migrateHome(join(reference, 'home'), { node: NODE, logger });
      const expected = await snapshot(join(reference, 'home'));
      const original = await snapshot(home);
      const writes = 4; // three deploy files, then layout.json
      const results: Array<{ stoppedAt: number; error: string; readable: boolean; finished: boolean }> = [];
      for (let stopAt = 0; stopAt < writes; stopAt++) {
        await rm(home, { recursive: true, force: true });
        await cp(FIXTURE, home, { recursive: true, verbatimSymlinks: true });
        await writeFile(join(home, 'deploy', 'beta.example.test.json'), JSON.stringify(LEGACY('7A3C81C0229201C1')));
        await writeFile(join(home, 'deploy', 'gamma.example.test.json'), JSON.stringify(LEGACY('01')));
        let renames = 0;
        const dying: FileSystem = {
          ...fsp,
          rename: async (from, to) => {
            if (renames++ === stopAt) {
              // What a SIGKILL before the rename leaves: the temp file, and nothing else.
              await writeFile(`${String(from)}.left-by-kill`, 'partial');
              throw new Error('killed');
            }
            return fsp.rename(from, to);
          },
        };
        const error = await migrateHome(home, { node: NODE, logger, fs: dying }).then(
          () => 'none',
          (e: unknown) => (e instanceof StorageError ? e.code : String(e)),
        );
        const store = new FileDeployStateStore({ home, node: NODE });
        const readable = isDeepStrictEqual(await store.loadAllNodes('alpha.example.test'), {
          [NODE]: JSON.parse(original['deploy/alpha.example.test.json']!),
        });
        await migrateHome(home, { node: NODE, logger });
        const after = await snapshot(home);
        const leftovers = Object.keys(after).filter((k) => k.endsWith('.left-by-kill'));
        for (const k of leftovers) delete after[k];
        results.push({
          stoppedAt: stopAt,
          error,
          readable,
          finished: JSON.stringify(after) === JSON.stringify(expected),
        });
      }
      expect(results).toEqual(
        [0, 1, 2, 3].map((stoppedAt) => ({ stoppedAt, error: 'STORAGE_IO', readable: true, finished: true })),
      );
    } finally {
      await rm(reference, { recursive: true, force: true });
    }
  });

  test('hostile and damaged deploy files are left as they are and reported; the rest is migrated', async () => {
    const outside = join(home, '..', 'outside.json');
    await writeFile(outside, JSON.stringify(LEGACY('EE')));
    await symlink(outside, join(home, 'deploy', 'link.json'));
    await writeFile(join(home, 'deploy', 'broken.json'), '{"endpoints":');
    await writeFile(join(home, 'deploy', 'shape.json'), '{"endpoints":{"x":{"status":"maybe"}}}');
    await writeFile(join(home, 'deploy', 'huge.json'), `{"endpoints":{}, "pad":"${'x'.repeat(1024 * 1024)}"}`);
    await mkdir(join(home, 'deploy', 'folder.json'));
    await writeFile(join(home, 'deploy', '.alpha.example.test.json.tmp-0123456789ab'), 'partial');
    const untouched = [
      'link.json',
      'broken.json',
      'shape.json',
      'huge.json',
      '.alpha.example.test.json.tmp-0123456789ab',
    ];
    const before = await Promise.all(untouched.map((f) => readFile(join(home, 'deploy', f), 'utf8')));
    const migration = await migrateHome(home, { node: NODE, logger });
    expect({
      skipped: migration.skipped,
      rewritten: migration.rewritten,
      untouched: await Promise.all(untouched.map((f) => readFile(join(home, 'deploy', f), 'utf8'))),
      outside: await readFile(outside, 'utf8'),
      layout: await readHomeLayout(home),
      warned: logger.records.filter((r) => r.level === 'warn').length,
    }).toEqual({
      skipped: [
        { file: 'deploy/broken.json', reason: 'not valid JSON' },
        { file: 'deploy/folder.json', reason: 'not a regular file' },
        { file: 'deploy/huge.json', reason: 'larger than 1048576 bytes' },
        { file: 'deploy/link.json', reason: 'not a regular file' },
        { file: 'deploy/shape.json', reason: 'not a deploy state' },
      ],
      rewritten: ['deploy/alpha.example.test.json', 'deploy/beta.example.test.json', 'deploy/gamma.example.test.json'],
      untouched: before,
      outside: JSON.stringify(LEGACY('EE')),
      layout: 2,
      warned: 5,
    });
  });

  test('a home of a newer layout is refused, naming the layouts and what to do, and nothing is written', async () => {
    await writeFile(join(home, 'layout.json'), '{"layout": 3}');
    const before = await snapshot(home);
    const refused = migrateHome(home, { node: NODE, logger });
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      `Cannot use --home "${home}": "${join(home, 'layout.json')}" says layout 3, written by a newer release of haproxy-acme, and this release reads layout 2 at most; upgrade haproxy-acme or use another --home`,
    );
    expect(await snapshot(home)).toEqual(before);
  });

  test.each([
    ['not JSON', 'layout 2'],
    ['a layout that is not a whole number', '{"layout": "2"}'],
    ['a layout of 0', '{"layout": 0}'],
  ])('a layout.json that is %s is STORAGE_CORRUPT naming it', async (_label, content) => {
    await writeFile(join(home, 'layout.json'), content);
    await expect(migrateHome(home, { node: NODE, logger })).rejects.toMatchObject({
      code: 'STORAGE_CORRUPT',
      path: join(home, 'layout.json'),
    });
  });

  test('an empty home gets layout.json only; a bad node id is refused before anything is written', async () => {
    const empty = join(home, '..', 'empty');
    await mkdir(empty);
    await expect(migrateHome(empty, { node: 'Not A Node', logger })).rejects.toThrow(ConfigError);
    await expect(readdir(empty)).resolves.toEqual([]);
    await migrateHome(empty, { node: NODE, logger });
    await expect(readdir(empty)).resolves.toEqual(['layout.json']);
  });
});
