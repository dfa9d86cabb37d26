/**
 * The one bound on files opened per certificate (mapLimited, IO_CONCURRENCY) and what an exhausted
 * file table is called: EMFILE and ENFILE become STORAGE_OPEN_FILES_LIMIT, never a damaged file.
 */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, StorageError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log/logger';
import { FileCertificateStore, FileRenewalStateStore, IO_CONCURRENCY, mapLimited } from '../../../src/storage';
import { ioError, type FileSystem } from '../../../src/storage/file/_atomic';
import {
  describeOpenFilesLimit,
  openFilesErrno,
  openFilesLimitError,
  parseOpenFilesSoftLimit,
  YIELD_EVERY_MS,
} from '../../../src/storage/file/_io-limit';
import { certs } from '../../fixtures/certs';

/** A system error as node:fs rejects with it. */
function errno(code: string, syscall = 'open', path = '/srv/acme/x'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failure, ${syscall} '${path}'`), { code, syscall, path });
}

const cyclic: { code: string; cause?: unknown } = { code: 'ENOENT' };
cyclic.cause = cyclic;
const chain = (depth: number, code: string): unknown => {
  let error: unknown = { code };
  for (let i = 0; i < depth; i += 1) error = { code: 'EIO', cause: error };
  return error;
};

describe('openFilesErrno()', () => {
  test.each<[string, unknown, 'EMFILE' | 'ENFILE' | undefined]>([
    ['EMFILE from node:fs', errno('EMFILE'), 'EMFILE'],
    ['ENFILE from node:fs', errno('ENFILE'), 'ENFILE'],
    [
      'EMFILE as the cause of a StorageError',
      new StorageError('STORAGE_IO', 'x', { path: '/p', cause: errno('EMFILE') }),
      'EMFILE',
    ],
    ['EMFILE four wraps deep', chain(4, 'EMFILE'), 'EMFILE'],
    ['EMFILE five wraps deep (past the bound)', chain(5, 'EMFILE'), undefined],
    ['a plain object with the code', { code: 'ENFILE' }, 'ENFILE'],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { code: 'EMFILE' }), 'EMFILE'],
    ['ENOENT', errno('ENOENT'), undefined],
    ['EACCES', errno('EACCES'), undefined],
    ['a lower-case code', { code: 'emfile' }, undefined],
    ['a code that only starts with EMFILE', { code: 'EMFILE2' }, undefined],
    ['the code in an array', { code: ['EMFILE'] }, undefined],
    ['the code as a boxed string', { code: new String('EMFILE') }, undefined],
    ['EMFILE only in the message', Object.assign(new Error('EMFILE: too many open files'), { code: 'EIO' }), undefined],
    ['the bare string', 'EMFILE', undefined],
    ['a number', 24, undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['a cyclic cause chain', cyclic, undefined],
  ])('openFilesErrno(%s) is %p', (_what, error, expected) => {
    expect(openFilesErrno(error)).toBe(expected);
  });
});

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 1048576              files     
Max locked memory         8388608              8388608              bytes     
`;

describe('parseOpenFilesSoftLimit()', () => {
  test.each<[string, string, number | 'unlimited' | undefined]>([
    ['/proc/self/limits', LIMITS, 1024],
    [
      'an unlimited soft limit',
      'Max open files            unlimited            unlimited            files\n',
      'unlimited',
    ],
    ['a large limit', 'Max open files 1048576 1048576 files', 1_048_576],
    ['no such line', 'Max cpu time unlimited unlimited seconds\n', undefined],
    ['an empty text', '', undefined],
    ['a negative soft limit', 'Max open files -1 1024 files', undefined],
    ['a soft limit of 11 digits', 'Max open files 99999999999 1024 files', undefined],
    ['a hexadecimal soft limit', 'Max open files 0x400 1024 files', undefined],
    ['no hard limit and unit', 'Max open files 1024', undefined],
    ['another unit', 'Max open files 1024 1024 bytes', undefined],
    ['the words run together', 'Max open files1024 1024 files', undefined],
    ['the line indented', '  Max open files 1024 1024 files', undefined],
    ['a line break inside', 'Max open files\n1024 1024 files', undefined],
  ])('parseOpenFilesSoftLimit(%s) is %p', (_what, text, expected) => {
    expect(parseOpenFilesSoftLimit(text)).toBe(expected);
  });
});

describe('describeOpenFilesLimit()', () => {
  test.each<['EMFILE' | 'ENFILE', number | 'unlimited' | undefined, string]>([
    [
      'EMFILE',
      1024,
      'this process reached its open-files limit (EMFILE, its soft limit 1024; Node raises it to the hard limit at start); raise the hard limit (LimitNOFILE=4096 in the service unit, or "ulimit -n 4096" in the shell that starts acme), or run fewer acme commands and hooks at once',
    ],
    [
      'EMFILE',
      undefined,
      'this process reached its open-files limit (EMFILE, its soft limit ("ulimit -n" shows it); Node raises it to the hard limit at start); raise the hard limit (LimitNOFILE=4096 in the service unit, or "ulimit -n 4096" in the shell that starts acme), or run fewer acme commands and hooks at once',
    ],
    [
      'EMFILE',
      'unlimited',
      'this process reached its open-files limit (EMFILE, its soft limit unlimited; Node raises it to the hard limit at start); raise the hard limit (LimitNOFILE=4096 in the service unit, or "ulimit -n 4096" in the shell that starts acme), or run fewer acme commands and hooks at once',
    ],
    [
      'ENFILE',
      1024,
      'the system-wide open-files table is full (ENFILE); close programs that hold many files, or raise the system limit (sysctl fs.file-max), then run the command again',
    ],
  ])('describeOpenFilesLimit(%s, %p)', (code, limit, expected) => {
    expect(describeOpenFilesLimit(code, limit)).toBe(expected);
  });
});

describe('openFilesLimitError() and ioError()', () => {
  test.each([
    ['EMFILE', errno('EMFILE'), /this process reached its open-files limit \(EMFILE, its soft limit/],
    ['ENFILE', errno('ENFILE'), /the system-wide open-files table is full \(ENFILE\)/],
  ])('ioError() turns %s into a retryable STORAGE_OPEN_FILES_LIMIT that names the path', (_code, error, detail) => {
    const wrapped = ioError('read', '/srv/acme/certificates/a/cert.pem', error);
    expect({
      code: wrapped.code,
      retryable: wrapped.retryable,
      path: wrapped.path,
      cause: wrapped.cause,
      damaged: /damaged|corrupt|move .* aside/i.test(wrapped.message),
    }).toEqual({
      code: 'STORAGE_OPEN_FILES_LIMIT',
      retryable: true,
      path: '/srv/acme/certificates/a/cert.pem',
      cause: error,
      damaged: false,
    });
    expect(wrapped.message).toMatch(/^Cannot read "\/srv\/acme\/certificates\/a\/cert\.pem": /);
    expect(wrapped.message).toMatch(detail);
  });

  test.each([
    [
      'a STORAGE_IO wrapping EMFILE',
      new StorageError('STORAGE_IO', 'Cannot read "/p": EMFILE', { path: '/p', cause: errno('EMFILE') }),
    ],
    [
      'a STORAGE_CORRUPT wrapping EMFILE',
      new StorageError('STORAGE_CORRUPT', 'Cannot read "/p"', { path: '/p', cause: errno('EMFILE') }),
    ],
  ])('ioError() reclassifies %s: a full file table is never a damaged file', (_what, error) => {
    expect(ioError('read', '/p', error).code).toBe('STORAGE_OPEN_FILES_LIMIT');
  });

  test('ioError() keeps an existing STORAGE_OPEN_FILES_LIMIT as it is, and any other StorageError too', () => {
    const limited = ioError('read', '/a', errno('EMFILE'));
    const corrupt = new StorageError('STORAGE_CORRUPT', 'Cannot read "/b": it is not valid JSON', { path: '/b' });
    expect([ioError('list', '/c', limited), ioError('read', '/b', corrupt)]).toEqual([limited, corrupt]);
    expect([ioError('list', '/c', limited), ioError('read', '/b', corrupt)][0]).toBe(limited);
  });

  test.each([['ENOENT'], ['EACCES'], ['ENOSPC'], ['EIO']])('openFilesLimitError() is undefined for %s', (code) => {
    expect(openFilesLimitError('read', '/p', errno(code))).toBeUndefined();
  });
});

describe('the file backend under a full file table', () => {
  let home: string;
  beforeEach(async () => {
    home = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-io-limit-'));
  });
  afterEach(async () => {
    await fsp.rm(home, { recursive: true, force: true });
  });

  /** node:fs/promises, but every readFile under `<home>/certificates` fails with `code`. */
  function failingReads(code: string): FileSystem {
    return {
      ...fsp,
      readFile: (async (path: unknown, options?: unknown) => {
        if (String(path).includes('/certificates/')) throw errno(code, 'open', String(path));
        return fsp.readFile(path as string, options as 'utf8');
      }) as FileSystem['readFile'],
    };
  }

  test.each([['EMFILE'], ['ENFILE']])(
    'loadCertificate(), loadCertificateMeta() and listCertificates() reject a %s as STORAGE_OPEN_FILES_LIMIT, not STORAGE_CORRUPT',
    async (code) => {
      const clock = { now: () => new Date('2026-11-27T10:00:00.000Z') };
      const logger = new CapturingLogger();
      await new FileCertificateStore({ home, clock, logger }).saveCertificate({
        name: 'example.com',
        certPem: certs.ecLeaf + certs.ecIntermediate,
        chainPem: '',
        keyPem: certs.ecLeafKey,
        meta: { domains: ['example.com', 'www.example.com'], directoryUrl: 'https://127.0.0.1:14000/dir' },
      });
      const store = new FileCertificateStore({ home, clock, logger, fs: failingReads(code) });
      const codes = await Promise.all(
        [store.loadCertificate('example.com'), store.loadCertificateMeta('example.com'), store.listCertificates()].map(
          (p) =>
            p.then(
              () => 'resolved',
              (error: unknown) => (error instanceof AppError ? error.code : String(error)),
            ),
        ),
      );
      expect(codes).toEqual(['STORAGE_OPEN_FILES_LIMIT', 'STORAGE_OPEN_FILES_LIMIT', 'STORAGE_OPEN_FILES_LIMIT']);
    },
  );

  test('a state file that cannot be read is still STORAGE_IO, with the path, when the cause is not the file table', async () => {
    await fsp.mkdir(join(home, 'renewal', 'example.com.json'), { recursive: true });
    await expect(new FileRenewalStateStore({ home }).load('example.com')).rejects.toMatchObject({
      code: 'STORAGE_IO',
      path: join(home, 'renewal', 'example.com.json'),
    });
  });
});

describe('mapLimited()', () => {
  /** Runs `count` tasks that each wait a tick; returns the results and the most that ran at once. */
  async function run(count: number, limit?: number): Promise<{ results: number[]; most: number }> {
    let running = 0;
    let most = 0;
    const results = await mapLimited(
      Array.from({ length: count }, (_, i) => i),
      async (item, index) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        return item * 10 + (index === item ? 0 : 1);
      },
      limit === undefined ? {} : { limit },
    );
    return { results, most };
  }

  test.each<[string, number, number | undefined, number]>([
    ['the default, over 1,000 items', 1000, undefined, IO_CONCURRENCY],
    ['a limit of 3', 10, 3, 3],
    ['a limit above the item count', 5, 100, 5],
    ['a limit of 0 (raised to 1)', 4, 0, 1],
    ['a negative limit (raised to 1)', 4, -5, 1],
    ['a fractional limit (rounded down)', 10, 2.9, 2],
    ['NaN (the default)', 200, Number.NaN, IO_CONCURRENCY],
    ['Infinity (the default)', 200, Number.POSITIVE_INFINITY, IO_CONCURRENCY],
  ])('mapLimited() with %s keeps the order and runs at most the limit at once', async (_what, count, limit, most) => {
    const outcome = await run(count, limit);
    expect(outcome).toEqual({ results: Array.from({ length: count }, (_, i) => i * 10), most });
  });

  test('IO_CONCURRENCY leaves room under an open-files limit of 1,024 at 6 files per certificate', () => {
    expect(IO_CONCURRENCY * 6).toBeLessThan(1024 / 2);
  });

  test.each<[string, number | undefined]>([
    ['the default limit', undefined],
    ['a limit of 1', 1],
  ])(
    'mapLimited() of tasks that finish at once (synchronous reads) still lets timers run, with %s',
    async (_what, limit) => {
      const busyMs = 1;
      const count = Math.ceil((YIELD_EVERY_MS * 8) / busyMs);
      let doneWhenTimerRan: number | undefined;
      let done = 0;
      setTimeout(() => (doneWhenTimerRan = done), 0);
      const results = await mapLimited(
        Array.from({ length: count }, (_, i) => i),
        (item) => {
          const until = performance.now() + busyMs;
          while (performance.now() < until) {
            // Stands for a synchronous read: holds the thread, resolves at once.
          }
          done += 1;
          return Promise.resolve(item);
        },
        limit === undefined ? {} : { limit },
      );
      expect(results).toEqual(Array.from({ length: count }, (_, i) => i));
      // The timer ran within about the first YIELD_EVERY_MS of work, not after all of it.
      expect(doneWhenTimerRan).toBeDefined();
      expect(doneWhenTimerRan!).toBeLessThanOrEqual(Math.ceil((YIELD_EVERY_MS * 3) / busyMs));
    },
  );

  test('mapLimited() of nothing resolves with nothing', async () => {
    await expect(mapLimited([], async () => 1)).resolves.toEqual([]);
  });

  test('mapLimited() starts nothing after the first rejection and rejects with it once the tasks in flight settled', async () => {
    const started: number[] = [];
    let settled = 0;
    const failure = new Error('Cannot read item 3');
    const outcome = mapLimited(
      Array.from({ length: 50 }, (_, i) => i),
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setImmediate(resolve));
        settled += 1;
        if (item === 3) throw failure;
        if (item === 4) throw new Error('Cannot read item 4');
        return item;
      },
      { limit: 4 },
    );
    await expect(outcome).rejects.toBe(failure);
    expect({ started, settled }).toEqual({ started: [0, 1, 2, 3, 4, 5, 6], settled: 7 });
  });
});
