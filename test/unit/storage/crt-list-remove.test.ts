import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../../src/errors';
import { FileCrtList } from '../../../src/storage';

const SITE = '/srv/acme/haproxy/site.pem';

describe('FileCrtList.removeEntry()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-crt-list-rm-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each<[string, string, boolean, string]>([
    ['the only line', `${SITE}\n`, true, ''],
    [
      'a line among others, with options and SNI',
      `/srv/default.pem [alpn h2]\n${SITE} [alpn h2] site.example\n/srv/b.pem\n`,
      true,
      '/srv/default.pem [alpn h2]\n/srv/b.pem\n',
    ],
    ['every duplicate, indented or CRLF', `  ${SITE}\r\n# keep me\n${SITE}\n`, true, '# keep me\n'],
    ['the last line without a newline', `/srv/a.pem\n${SITE}`, true, '/srv/a.pem'],
    ['nothing when absent', '/srv/a.pem\n', false, '/srv/a.pem\n'],
    ['nothing for a longer path with the same prefix', `${SITE}.old\n`, false, `${SITE}.old\n`],
    ['nothing for a commented-out line', `# ${SITE}\n`, false, `# ${SITE}\n`],
  ])('removeEntry() removes %s', async (_label, text, removed, after) => {
    const file = join(dir, 'crt-list.txt');
    await writeFile(file, text);
    expect(await new FileCrtList(file).removeEntry(SITE)).toBe(removed);
    expect(await readFile(file, 'utf8')).toBe(after);
  });

  test('removeEntry() keeps the file mode and leaves no temp file', async () => {
    const file = join(dir, 'crt-list.txt');
    await writeFile(file, `/srv/a.pem\n${SITE}\n`);
    await chmod(file, 0o640);
    await new FileCrtList(file).removeEntry(SITE);
    expect([(await stat(file)).mode & 0o777, await readdir(dir)]).toEqual([0o640, ['crt-list.txt']]);
  });

  test('removeEntry() on a crt directory writes nothing: moving the bundle out is the removal', async () => {
    await writeFile(join(dir, 'site.pem'), 'x');
    expect(await new FileCrtList(dir).removeEntry(join(dir, 'site.pem'))).toBe(false);
    expect(await readdir(dir)).toEqual(['site.pem']);
  });

  test('removeEntry() on a missing list fails with StorageError naming it', async () => {
    const missing = join(dir, 'nope.txt');
    const error = await new FileCrtList(missing).removeEntry(SITE).catch((e: unknown) => e);
    expect([error instanceof StorageError, (error as StorageError).message]).toEqual([
      true,
      `Cannot read HAProxy crt-list "${missing}": ENOENT: no such file or directory, open '${missing}'`,
    ]);
  });
});
