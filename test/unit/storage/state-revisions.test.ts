/** FileRenewalStateStore's file format: the revision lives in the file; a file of the previous release reads fine. */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRenewalStateStore } from '../../../src/storage';

const PREVIOUS_RELEASE_FILE = {
  ari: {
    certId: 'w84diV12HWVNMsv5J1YOa5VstP0.QKzhWbPRyfQ',
    start: '2030-01-01T00:00:00.000Z',
    end: '2030-01-03T00:00:00.000Z',
    chosenAt: '2030-01-02T18:14:05.780Z',
    retryAfter: '2026-12-06T04:25:30.155Z',
  },
  lastDecision: { at: '2026-12-05T04:25:30.155Z', due: false, reason: 'not-yet', detail: 'ARI window' },
};

describe('FileRenewalStateStore files', () => {
  let home: string;
  let path: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-renewal-state-'));
    path = join(home, 'renewal', 'site.json');
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('save() writes the state and its revision into one 0600 file', async () => {
    const revision = await new FileRenewalStateStore({ home }).save(
      'Site',
      { failuresTotal: 3 },
      { expectedRevision: 0 },
    );
    expect([revision, JSON.parse(await readFile(path, 'utf8')), (await stat(path)).mode & 0o777]).toEqual([
      1,
      { failuresTotal: 3, revision: 1 },
      0o600,
    ]);
  });

  test('a file without a revision (the previous release) reads as revision 1, and saves from there', async () => {
    await mkdir(join(home, 'renewal'));
    await writeFile(path, JSON.stringify(PREVIOUS_RELEASE_FILE));
    const store = new FileRenewalStateStore({ home });
    const loaded = await store.load('site');
    expect(loaded).toEqual({ value: PREVIOUS_RELEASE_FILE, revision: 1 });
    await expect(store.save('site', {}, { expectedRevision: 0 })).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    await expect(store.save('site', loaded.value, { expectedRevision: 1 })).resolves.toBe(2);
  });

  test.each([
    ['a revision of 0', { revision: 0 }],
    ['a revision that is text', { revision: '3' }],
    ['a fractional revision', { revision: 1.5 }],
  ])('a file with %s is STORAGE_CORRUPT, naming the field', async (_label, content) => {
    await mkdir(join(home, 'renewal'));
    await writeFile(path, JSON.stringify(content));
    await expect(new FileRenewalStateStore({ home }).load('site')).rejects.toMatchObject({
      code: 'STORAGE_CORRUPT',
      message: expect.stringContaining('at "revision"'),
      path,
    });
  });

  test('the conflict message names the file and both revisions', async () => {
    const store = new FileRenewalStateStore({ home });
    await store.save('site', {}, { expectedRevision: 0 });
    await expect(store.save('site', {}, { expectedRevision: 0 })).rejects.toThrow(
      `Cannot save "${path}": it is at revision 1, not 0; another run changed it, so run the command again`,
    );
  });
});
