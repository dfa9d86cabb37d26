import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDeployStateStore } from '../../../src/storage';

describe('FileDeployStateStore', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-deploy-state-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('load() of a name never saved returns an empty state', async () => {
    expect(await new FileDeployStateStore({ home }).load('site')).toEqual({ endpoints: {} });
  });

  test('save() then load() round-trips, in a 0600 file under deploy/', async () => {
    const store = new FileDeployStateStore({ home });
    const state = {
      endpoints: {
        'unix@/run/a.sock': {
          status: 'pending' as const,
          serial: 'AB',
          at: '2026-11-27T00:00:00.000Z',
          lastError: 'ECONNREFUSED',
        },
      },
    };
    await store.save('Site.Example', state);
    expect(await store.load('site.example')).toEqual(state);
    expect((await stat(join(home, 'deploy', 'site.example.json'))).mode & 0o777).toBe(0o600);
  });

  test.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['a wrong shape', '{"endpoints":{"x":{"status":"maybe"}}}', 'Cannot read'],
  ])('load() of %s throws STORAGE_CORRUPT naming the file', async (_label, content, message) => {
    await mkdir(join(home, 'deploy'), { recursive: true });
    await writeFile(join(home, 'deploy', 'site.json'), content);
    await expect(new FileDeployStateStore({ home }).load('site')).rejects.toMatchObject({
      code: 'STORAGE_CORRUPT',
      message: expect.stringContaining(message),
      path: join(home, 'deploy', 'site.json'),
    });
    expect(await readFile(join(home, 'deploy', 'site.json'), 'utf8')).toBe(content);
  });
});
