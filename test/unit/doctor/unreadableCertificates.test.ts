/**
 * runDoctor() when the stored certificates cannot be read: the fix follows the cause. Only a damaged
 * file is moved aside; a full file table (EMFILE, ENFILE) says to raise the open-files limit.
 */
import { fixedClock } from '../../../src/clock';
import { ConfigError, StorageError } from '../../../src/errors';
import { runDoctor, type DoctorDeps } from '../../../src/doctor';
import { HomeModeTally } from '../../../src/doctor/checkHomeModes';

const NOW = new Date('2026-12-01T00:00:00Z');

function depsFailingWith(error: unknown): DoctorDeps {
  return {
    clock: fixedClock(NOW),
    localPorts: [],
    probeChallengeRoute: async () => ({ kind: 'skipped' as const, reason: 'no --preflight' }),
    inspectRuntimeSockets: async () => [],
    scanHome: async () => ({ home: '/srv/acme', tally: new HomeModeTally(), truncated: false }),
    readLegoHome: async () => undefined,
    listCertificates: async () => {
      throw error;
    },
    readManualCertificates: async () => ({
      directory: '/srv/acme/haproxy',
      certificates: [],
      notInspected: [],
      truncated: false,
    }),
    readListeners: async () => ({ listeners: [], read: [], unreadable: [] }),
    checkPrograms: async () => undefined,
  };
}

const PATH = '/srv/acme/certificates/a.test/meta.json';

describe('runDoctor() with unreadable certificates', () => {
  test.each<[string, unknown, string]>([
    [
      'a full file table',
      new StorageError('STORAGE_OPEN_FILES_LIMIT', `Cannot read "${PATH}": this process reached its open-files limit`, {
        path: PATH,
      }),
      'The files are fine: raise the open-files limit ("ulimit -n 4096", or LimitNOFILE= for a service), then run "acme doctor" again',
    ],
    [
      'a damaged file',
      new StorageError('STORAGE_CORRUPT', `Cannot read "${PATH}": it is not valid JSON`, { path: PATH }),
      'Move the damaged file aside (see the message) and run "acme list"',
    ],
    [
      'an I/O error',
      new StorageError('STORAGE_IO', `Cannot read "${PATH}": EACCES: permission denied`, { path: PATH }),
      'Fix the cause in the message (permissions, disk), then run "acme doctor" again',
    ],
    [
      'a raw EMFILE that escaped unwrapped',
      Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }),
      'The files are fine: raise the open-files limit ("ulimit -n 4096", or LimitNOFILE= for a service), then run "acme doctor" again',
    ],
    [
      'another AppError',
      new ConfigError('Cannot use --home "x": not absolute'),
      'Fix the cause in the message (permissions, disk), then run "acme doctor" again',
    ],
    ['a thrown string', 'gone', 'Fix the cause in the message (permissions, disk), then run "acme doctor" again'],
    ['null', null, 'Fix the cause in the message (permissions, disk), then run "acme doctor" again'],
  ])('runDoctor() with %s fails "stored certificates" with the fix for that cause', async (_what, error, fix) => {
    const report = await runDoctor(depsFailingWith(error));
    const row = report.checks.find((c) => c.id === 'certificates');
    expect({ status: row?.status, fix: row?.fix, ok: report.summary.ok }).toEqual({ status: 'fail', fix, ok: false });
  });
});
