import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCrtList, listedCertificates } from '../../../src/storage';

describe('listedCertificates()', () => {
  test.each([
    ['', []],
    ['/a.pem\n', ['/a.pem']],
    ['# comment\n\n/a.pem [alpn h2] a.example\n  /b.pem  \n', ['/a.pem', '/b.pem']],
    ['/a.pem\r\n/b.pem', ['/a.pem', '/b.pem']],
  ])('listedCertificates(%j) is %j', (text, expected) => {
    expect(listedCertificates(text)).toEqual(expected);
  });
});

describe('FileCrtList', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-crt-list-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('ensureEntry() appends a missing line once, keeping the file mode and the other lines', async () => {
    const file = join(dir, 'crt-list.txt');
    await writeFile(file, '/srv/default.pem [alpn h2]');
    await chmod(file, 0o640);
    const list = new FileCrtList(file);
    expect(await list.ensureEntry('/srv/acme/haproxy/site.pem')).toBe(true);
    expect(await list.ensureEntry('/srv/acme/haproxy/site.pem')).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('/srv/default.pem [alpn h2]\n/srv/acme/haproxy/site.pem\n');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  test('ensureEntry() removes the temps a killed write of this list left beside it, and nothing else there', async () => {
    const file = join(dir, 'crt-list.txt');
    await writeFile(file, '/srv/default.pem\n');
    await writeFile(join(dir, '.crt-list.txt.tmp-0a1b2c3d4e5f'), '/srv/def');
    await writeFile(join(dir, '.other.txt.tmp-0a1b2c3d4e5f'), 'not ours');
    await writeFile(join(dir, '.crt-list.txt.tmp-notours'), 'not ours');
    await new FileCrtList(file).ensureEntry('/srv/acme/haproxy/site.pem');
    expect((await readdir(dir)).sort()).toEqual([
      '.crt-list.txt.tmp-notours',
      '.other.txt.tmp-0a1b2c3d4e5f',
      'crt-list.txt',
    ]);
  });

  test('ensureEntry() on a crt directory accepts a bundle inside it and writes nothing', async () => {
    const list = new FileCrtList(dir);
    expect(await list.ensureEntry(join(dir, 'site.pem'))).toBe(false);
  });

  test('ensureEntry() on a crt directory refuses a bundle outside it with the fix', async () => {
    await mkdir(join(dir, 'certs'));
    const list = new FileCrtList(join(dir, 'certs'));
    await expect(list.ensureEntry('/srv/acme/haproxy/site.pem')).rejects.toThrow(
      `Cannot use crt directory "${join(dir, 'certs')}": the bundle "/srv/acme/haproxy/site.pem" is not in it`,
    );
  });

  test('ensureEntry() on a missing list throws STORAGE_IO naming it', async () => {
    await expect(new FileCrtList(join(dir, 'nope.txt')).ensureEntry('/a.pem')).rejects.toMatchObject({
      code: 'STORAGE_IO',
      path: join(dir, 'nope.txt'),
    });
  });
});
