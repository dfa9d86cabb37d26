/** The `manual certificates` check of acme doctor: certificates minted here, inspected as the reader does, judged at a fixed time. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, EXIT_FAILED, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { checkManualCertificates, MANUAL_EXPIRY_WARNING_DAYS, type DoctorCheck } from '../../../src/doctor';
import { StorageError } from '../../../src/errors';
import { inspectManualCertificate, type ManualCertificate, type ManualCertificateScan } from '../../../src/manual';
import { cliHarness } from '../cli/_harness';
import { mintCertificate } from '../manual/_mint';

const NOW = new Date('2026-11-27T00:00:00Z');
const DAY_MS = 86_400_000;
const DIR = '/srv/acme/haproxy';
const PATH = `${DIR}/cert.crt`;
const RESTART = 'then restart HAProxy so that it loads them (under snapd: snap restart <snap>.haproxy)';
const REPLACE = (key: string): string =>
  `Replace "${PATH}"${key} with a renewed certificate, ${RESTART}; haproxy-acme never renews a certificate you put there`;

/** A manual certificate that expires `days` after NOW, its key in the file or in cert.crt.key, as the reader would report it. */
async function manual(
  days: number,
  options: { companion?: boolean; matchingKey?: boolean } = {},
): Promise<ManualCertificate> {
  const minted = await mintCertificate({
    names: ['photos.example.com', 'www.photos.example.com'],
    now: NOW,
    notBefore: new Date(NOW.getTime() - 60 * DAY_MS),
    notAfter: new Date(NOW.getTime() + days * DAY_MS),
  });
  const keyPem = options.matchingKey === false ? (await mintCertificate()).keyPem : minted.keyPem;
  return options.companion === true
    ? inspectManualCertificate({
        path: PATH,
        file: { text: minted.certPem },
        companion: { path: `${PATH}.key`, text: keyPem },
      })
    : inspectManualCertificate({ path: PATH, file: { text: minted.certPem + keyPem } });
}

const scanOf = (
  certificates: ManualCertificate[],
  extra: Partial<ManualCertificateScan> = {},
): ManualCertificateScan => ({ directory: DIR, certificates, notInspected: [], truncated: false, ...extra });

describe('checkManualCertificates()', () => {
  test.each<[string, () => Promise<ManualCertificateScan | Error>, Array<Partial<DoctorCheck>>]>([
    [
      'none',
      async () => scanOf([]),
      [
        {
          id: 'manual-certificates',
          title: 'manual certificates',
          status: 'ok',
          detail: `none in "${DIR}"`,
          fix: null,
        },
      ],
    ],
    [
      'one with 90 days left, key in cert.crt.key',
      async () => scanOf([await manual(90, { companion: true })]),
      [
        {
          title: 'manual certificate cert.crt',
          status: 'ok',
          detail: `for photos.example.com, www.photos.example.com, key in "${PATH}.key", expires 2027-02-25 (90 days); not renewed by haproxy-acme`,
        },
      ],
    ],
    [
      `one with exactly ${MANUAL_EXPIRY_WARNING_DAYS} days left`,
      async () => scanOf([await manual(MANUAL_EXPIRY_WARNING_DAYS)]),
      [
        {
          status: 'ok',
          detail:
            'for photos.example.com, www.photos.example.com, key in the file, expires 2026-12-18 (21 days); not renewed by haproxy-acme',
        },
      ],
    ],
    [
      'one with 20 days left: a warning that says which, when and what to do',
      async () => scanOf([await manual(20, { companion: true })]),
      [
        {
          status: 'warn',
          detail: 'expires on 2026-12-17T00:00:00.000Z (20 days left), for photos.example.com, www.photos.example.com',
          fix: REPLACE(` and its key "${PATH}.key"`),
        },
      ],
    ],
    [
      'one with an hour left',
      async () => scanOf([await manual(1 / 24)]),
      [
        {
          status: 'warn',
          detail: 'expires on 2026-11-27T01:00:00.000Z (0 days left), for photos.example.com, www.photos.example.com',
          fix: REPLACE(''),
        },
      ],
    ],
    [
      'one expired yesterday',
      async () => scanOf([await manual(-1)]),
      [
        {
          status: 'fail',
          detail:
            'expired on 2026-11-26T00:00:00.000Z; HAProxy serves it expired for photos.example.com, www.photos.example.com',
          fix: REPLACE(''),
        },
      ],
    ],
    [
      'one whose key does not match',
      async () => scanOf([await manual(90, { companion: true, matchingKey: false })]),
      [
        {
          status: 'fail',
          detail: expect.stringMatching(
            /^HAProxy cannot load "\/srv\/acme\/haproxy\/cert\.crt", so it is not served: its key "\/srv\/acme\/haproxy\/cert\.crt\.key" is not usable: Certificate and private key do not match/,
          ),
          fix: `Put the certificate and its chain in "${PATH}" and its key in it or in "${PATH}.key", ${RESTART}`,
        },
      ],
    ],
    [
      'one without a key',
      async () =>
        scanOf([
          inspectManualCertificate({
            path: PATH,
            file: { text: (await mintCertificate()).certPem },
            companion: { path: `${PATH}.key`, error: 'missing', missing: true },
          }),
        ]),
      [
        {
          status: 'fail',
          detail: `HAProxy cannot load "${PATH}", so it is not served: no private key: the file holds none and there is no "${PATH}.key"`,
        },
      ],
    ],
    [
      'one that does not parse',
      async () => scanOf([inspectManualCertificate({ path: PATH, file: { text: 'hello' } })]),
      [
        {
          status: 'fail',
          detail: `HAProxy cannot load "${PATH}", so it is not served: it holds no "CERTIFICATE" block`,
        },
      ],
    ],
    [
      'a fine one and an expiring one: one row each',
      async () => scanOf([await manual(200), { ...(await manual(3)), path: `${DIR}/old.pem` }]),
      [
        { title: 'manual certificate cert.crt', status: 'ok' },
        { title: 'manual certificate old.pem', status: 'warn' },
      ],
    ],
    [
      'more than the reader reads',
      async () => scanOf([await manual(90)], { notInspected: [`${DIR}/z1.crt`, `${DIR}/z2.crt`] }),
      [
        { status: 'ok' },
        {
          title: 'manual certificates',
          status: 'warn',
          detail: `"${DIR}" holds 2 manual certificate(s) beyond the first 100; those are neither checked nor served`,
          fix: `Remove the files you do not need from "${DIR}", ${RESTART}`,
        },
      ],
    ],
    [
      'a directory that cannot be listed',
      async () =>
        new StorageError('STORAGE_IO', `Cannot list the manual certificates in "${DIR}": permission denied`, {
          path: DIR,
        }),
      [
        {
          title: 'manual certificates',
          status: 'fail',
          detail: `cannot read them, so none is served: Cannot list the manual certificates in "${DIR}": permission denied`,
        },
      ],
    ],
  ])('checkManualCertificates() with %s', async (_what, scan, expected) => {
    const checks = checkManualCertificates(await scan(), NOW);
    expect(checks).toEqual(expected.map((row) => expect.objectContaining({ id: 'manual-certificates', ...row })));
  });
});

describe('acme doctor with a manual certificate in --home', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-manual-'));
    await mkdir(join(home, 'haproxy'), { mode: 0o700 });
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function doctor(days: number): Promise<{ code: number; check: DoctorCheck }> {
    const minted = await mintCertificate({
      names: ['photos.example.com'],
      now: NOW,
      notAfter: new Date(NOW.getTime() + days * DAY_MS),
    });
    await writeFile(join(home, 'haproxy', 'cert.crt'), minted.certPem, { mode: 0o600 });
    await writeFile(join(home, 'haproxy', 'cert.crt.key'), minted.keyPem, { mode: 0o600 });
    const { deps, stdout } = cliHarness({}, { clock: fixedClock(NOW) });
    const code = await runCli(['doctor', '--json', '--home', home, '--local-ports', '1'], deps);
    return { code, check: JSON.parse(stdout()).checks.find((c: DoctorCheck) => c.id === 'manual-certificates') };
  }

  test('acme doctor warns 20 days before a manual certificate expires and still exits 0', async () => {
    expect(await doctor(20)).toEqual({
      code: EXIT_OK,
      check: expect.objectContaining({
        title: 'manual certificate cert.crt',
        status: 'warn',
        fix: expect.stringContaining(
          `Replace "${join(home, 'haproxy', 'cert.crt')}" and its key "${join(home, 'haproxy', 'cert.crt.key')}"`,
        ),
      }),
    });
  });

  test('acme doctor exits 1 for an expired manual certificate', async () => {
    expect(await doctor(-2)).toEqual({
      code: EXIT_FAILED,
      check: expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/^expired on 2026-11-25T/) }),
    });
  });
});
