/** readTextFile(): the lean whole-file reader of listings and renewal passes (one synchronous open, fstat, read, close). */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextFile } from '../../../src/storage/file/_atomic';

let dir: string;
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});
beforeAll(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-read-text-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('readTextFile()', () => {
  test.each<[string, string]>([
    ['an empty file', ''],
    ['a small JSON document', '{"revision": 3}\n'],
    ['4,000 bytes', 'a'.repeat(4000)],
    ['4,001 bytes', 'b'.repeat(4001)],
    ['a file needing several larger reads (100 KiB)', 'c'.repeat(100 * 1024)],
    ['a multi-byte character at byte 3,999', `${'d'.repeat(3999)}€ and ✓ after it`],
    ['a NUL byte and invalid UTF-8 around ASCII', 'x\u0000y'],
  ])('readTextFile() returns %s byte for byte, as readFile() does', async (_what, content) => {
    const path = join(dir, `f-${content.length}-${content.charCodeAt(content.length - 1) || 0}.txt`);
    await fsp.writeFile(path, content);
    await expect(readTextFile(path)).resolves.toBe(await fsp.readFile(path, 'utf8'));
  });

  test('readTextFile() decodes invalid UTF-8 as readFile() does (replacement characters)', async () => {
    const path = join(dir, 'invalid.bin');
    await fsp.writeFile(path, Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    expect(await readTextFile(path)).toBe(await fsp.readFile(path, 'utf8'));
  });

  test.each<[string, string, (d: string) => Promise<string>]>([
    ['a missing file', 'ENOENT', async (d) => join(d, 'missing.json')],
    [
      'a directory',
      'EISDIR',
      async (d) => {
        await fsp.mkdir(join(d, 'a-dir'), { recursive: true });
        return join(d, 'a-dir');
      },
    ],
    [
      'a path through a file',
      'ENOTDIR',
      async (d) => {
        await fsp.writeFile(join(d, 'plain.txt'), 'x');
        return join(d, 'plain.txt', 'below');
      },
    ],
    [
      'a FIFO with no writer (would block a plain open)',
      'EINVAL',
      async (d) => {
        const path = join(d, 'planted.fifo');
        execFileSync('mkfifo', [path]);
        return path;
      },
    ],
    [
      'a listening UNIX socket',
      'ENXIO',
      async (d) => {
        const path = join(d, 'planted.sock');
        server = await new Promise<Server>((resolve) => {
          const listening = createServer().listen(path, () => resolve(listening));
        });
        return path;
      },
    ],
    ['a character device', 'EINVAL', async () => '/dev/zero'],
  ])('readTextFile() of %s rejects with the system error code %s', async (_what, code, make) => {
    await expect(readTextFile(await make(dir))).rejects.toMatchObject({ code });
  });
});
