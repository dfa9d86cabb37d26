/** readLegoHome() (the dry-run adoption `acme list` makes) and checkLegoAdoption() in a home lego shares with us. */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import {
  checkLegoAdoption,
  readLegoHome,
  type DoctorCheck,
  type LegoCertificateFinding,
  type LegoHomeFindings,
} from '../../../src/doctor';
import { CapturingLogger } from '../../../src/log';
import type { LegoImportDeps } from '../../../src/migration';
import { FileDeployStateStore, FileRenewalStateStore, openFileBackend } from '../../../src/storage';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';
import { LEGO_DIRECTORY, LEGO_FIXTURE, LEGO_NOW, ONE_SERIAL, TWO_SERIAL, WILD_SERIAL } from '../migration/_lego';

const HOME = '/var/snap/immich-distribution/common/acme';
const TITLE = `lego certificates in ${HOME}`;
const FIX =
  'Run "acme import lego --dry-run" to see what would be adopted, then "acme import lego" (the next "acme renew" adopts them too, with no new order)';
const WILDCARD =
  'it has the wildcard name "*.wild.example.test", which HTTP-01 cannot validate; keep renewing it with lego (DNS-01)';

const finding = (
  legoName: string,
  state: LegoCertificateFinding['state'],
  more: Partial<LegoCertificateFinding> = {},
): LegoCertificateFinding => ({
  legoName,
  state,
  serial: '0A',
  notAfter: '2031-11-27T02:59:59.000Z',
  detail: 'would be imported (dry run)',
  ...more,
});
const findings = (
  certificates: LegoCertificateFinding[],
  problems: LegoHomeFindings['problems'] = [],
): LegoHomeFindings => ({ home: HOME, certificates, problems });

describe('checkLegoAdoption()', () => {
  test.each<[string, LegoHomeFindings | Error | undefined, Array<Pick<DoctorCheck, 'status' | 'detail' | 'fix'>>]>([
    ['a home without lego files: no row', undefined, []],
    [
      "lego's files cannot be examined: a warning",
      new Error('Cannot read "/h/certificates/.versions": permission denied'),
      [
        {
          status: 'warn',
          detail: 'cannot examine lego\'s files: Cannot read "/h/certificates/.versions": permission denied',
          fix: 'Run "acme import lego --dry-run" for the details',
        },
      ],
    ],
    [
      'a certificate not adopted yet: a warning with its serial and expiry',
      findings([finding('a.example.com', 'adopt')]),
      [{ status: 'warn', detail: 'not adopted yet: "a.example.com" (serial 0A, valid to 2031-11-27)', fix: FIX }],
    ],
    [
      "lego renewed after a revert (lego's newer than ours): a warning naming both serials",
      findings([finding('a.example.com', 'newer', { serial: '0B', ours: '0A' }), finding('b.example.com', 'adopted')]),
      [
        {
          status: 'warn',
          detail: `newer in lego than ours (lego renewed after a revert): "a.example.com" (lego's serial 0B, valid to 2031-11-27; ours 0A)`,
          fix: FIX,
        },
      ],
    ],
    [
      "an expired one and another CA's: ok, each named with why it is ignored",
      findings([
        finding('a.example.com', 'adopted'),
        finding('old.example.com', 'ignored', {
          detail: 'it expired on 2026-01-01T00:00:00.000Z; run "acme issue -d old.example.com" for a new one',
        }),
        finding('staging.example.com', 'ignored', {
          detail:
            'it was issued through "acme-staging-v02.api.letsencrypt.org", not through --directory "https://acme-v02.api.letsencrypt.org/directory"',
        }),
      ]),
      [
        {
          status: 'ok',
          detail:
            'adopted: "a.example.com"; ignored, never adopted: "old.example.com" (it expired on 2026-01-01T00:00:00.000Z; run "acme issue -d old.example.com" for a new one), ' +
            '"staging.example.com" (it was issued through "acme-staging-v02.api.letsencrypt.org", not through --directory "https://acme-v02.api.letsencrypt.org/directory")',
          fix: null,
        },
      ],
    ],
    [
      'only ignored certificates and an unusable file: ok, none to adopt',
      findings(
        [finding('*.example.com', 'ignored', { detail: 'a wildcard' })],
        [{ file: 'certificates/big.example.com.crt', message: 'larger than 64 KiB' }],
      ),
      [
        {
          status: 'ok',
          detail:
            'none to adopt; ignored, never adopted: "*.example.com" (a wildcard); unusable, left alone: "certificates/big.example.com.crt" (larger than 64 KiB)',
          fix: null,
        },
      ],
    ],
    [
      'one not adopted yet next to an ignored one: a warning that names both',
      findings([finding('a.example.com', 'adopt'), finding('*.example.com', 'ignored', { detail: 'a wildcard' })]),
      [
        {
          status: 'warn',
          detail:
            'not adopted yet: "a.example.com" (serial 0A, valid to 2031-11-27); ignored, never adopted: "*.example.com" (a wildcard)',
          fix: FIX,
        },
      ],
    ],
    [
      'ours cannot be read: a warning with why',
      findings([
        finding('a.example.com', 'failed', {
          detail: 'Cannot read "/h/certificates/a.example.com/meta.json": not JSON',
        }),
      ]),
      [
        {
          status: 'warn',
          detail:
            'cannot be compared with ours: "a.example.com" (Cannot read "/h/certificates/a.example.com/meta.json": not JSON)',
          fix: FIX,
        },
      ],
    ],
    [
      'seven not adopted yet: five named, the rest counted',
      findings(
        ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) =>
          finding(`${n}.example.com`, 'adopt', { serial: undefined, notAfter: undefined }),
        ),
      ),
      [
        {
          status: 'warn',
          detail:
            'not adopted yet: "a.example.com" (serial ?, valid to ?), "b.example.com" (serial ?, valid to ?), "c.example.com" (serial ?, valid to ?), "d.example.com" (serial ?, valid to ?), "e.example.com" (serial ?, valid to ?) and 2 more',
          fix: FIX,
        },
      ],
    ],
  ])('checkLegoAdoption() with %s', (_what, found, expected) => {
    expect(checkLegoAdoption(found, HOME)).toEqual(expected.map((e) => ({ id: 'lego-adoption', title: TITLE, ...e })));
  });
});

describe('readLegoHome() on lego files written by real lego', () => {
  let work: string;
  let home: string;
  beforeEach(async () => {
    work = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-lego-'));
    home = join(work, 'home');
  });
  afterEach(async () => {
    await fsp.rm(work, { recursive: true, force: true });
  });

  function deps(options: { now?: Date; directoryUrl?: string } = {}): LegoImportDeps {
    const logger = new CapturingLogger();
    const clock = fixedClock(options.now ?? LEGO_NOW);
    const { store, bundles } = openFileBackend({ home, clock, logger });
    return {
      directoryUrl: options.directoryUrl ?? LEGO_DIRECTORY,
      store,
      bundles,
      renewalState: new FileRenewalStateStore({ home }),
      deploy: { deployState: new FileDeployStateStore({ home, node: 'node-1' }), node: 'node-1', endpoints: [] },
      clock,
      logger,
    };
  }

  /** Everything under home with its content, to prove the dry run wrote nothing. */
  async function tree(): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await fsp.readdir(home, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      out.push(`${path} ${entry.isFile() ? (await fsp.readFile(path)).toString('base64') : ''}`);
    }
    return out.sort();
  }

  test('readLegoHome() of a home without lego files is undefined', async () => {
    await fsp.mkdir(join(home, 'certificates'), { recursive: true });
    expect(await readLegoHome(home, deps())).toBeUndefined();
  });

  const expired = (notAfter: string, name: string): string =>
    `it expired on ${notAfter}; run "acme issue -d ${name}" for a new one`;
  const OTHER_CA =
    'it was issued through "127.0.0.1:33595", not through --directory "https://acme-v02.api.letsencrypt.org/directory"';
  const wild = { legoName: '*.wild.example.test', state: 'ignored', serial: WILD_SERIAL, detail: WILDCARD };

  test.each<
    [
      string,
      { now?: Date; directoryUrl?: string; ours?: 'older' },
      Array<Record<string, unknown>>,
      Pick<DoctorCheck, 'status' | 'detail'>,
    ]
  >([
    [
      'lego certificates not adopted yet: adopt, the wildcard ignored with why',
      {},
      [
        { legoName: 'one.example.test', state: 'adopt', serial: ONE_SERIAL },
        { legoName: 'two.example.test', state: 'adopt', serial: TWO_SERIAL },
        wild,
      ],
      {
        status: 'warn',
        detail: `not adopted yet: "one.example.test" (serial ${ONE_SERIAL}, valid to 2031-11-27), "two.example.test" (serial ${TWO_SERIAL}, valid to 2031-11-27); ignored, never adopted: "*.wild.example.test" (${WILDCARD})`,
      },
    ],
    [
      "ours older than lego's for one (lego renewed after a revert), newer for two: one newer, naming our serial; two adopted",
      { ours: 'older' },
      [
        { legoName: 'one.example.test', state: 'newer', serial: ONE_SERIAL, ours: 'OURS' },
        { legoName: 'two.example.test', state: 'adopted', serial: TWO_SERIAL },
        wild,
      ],
      {
        status: 'warn',
        detail: `newer in lego than ours (lego renewed after a revert): "one.example.test" (lego's serial ${ONE_SERIAL}, valid to 2031-11-27; ours OURS); ignored, never adopted: "*.wild.example.test" (${WILDCARD})`,
      },
    ],
    [
      'every lego certificate expired: ignored with why, no warning',
      { now: new Date('2032-01-01T00:00:00Z') },
      [
        {
          legoName: '*.wild.example.test',
          state: 'ignored',
          serial: WILD_SERIAL,
          detail: expired('2031-11-27T02:59:47.000Z', '*.wild.example.test'),
        },
        {
          legoName: 'one.example.test',
          state: 'ignored',
          serial: ONE_SERIAL,
          detail: expired('2031-11-27T02:58:28.000Z', 'one.example.test'),
        },
        {
          legoName: 'two.example.test',
          state: 'ignored',
          serial: TWO_SERIAL,
          detail: expired('2031-11-27T02:59:58.000Z', 'two.example.test'),
        },
      ],
      {
        status: 'ok',
        detail:
          `none to adopt; ignored, never adopted: "*.wild.example.test" (${expired('2031-11-27T02:59:47.000Z', '*.wild.example.test')}), ` +
          `"one.example.test" (${expired('2031-11-27T02:58:28.000Z', 'one.example.test')}), "two.example.test" (${expired('2031-11-27T02:59:58.000Z', 'two.example.test')})`,
      },
    ],
    [
      "lego's certificates of another CA than --directory: ignored with why, no warning",
      { directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory' },
      [
        { legoName: '*.wild.example.test', state: 'ignored', serial: WILD_SERIAL, detail: OTHER_CA },
        { legoName: 'one.example.test', state: 'ignored', serial: ONE_SERIAL, detail: OTHER_CA },
        { legoName: 'two.example.test', state: 'ignored', serial: TWO_SERIAL, detail: OTHER_CA },
      ],
      {
        status: 'ok',
        detail: `none to adopt; ignored, never adopted: "*.wild.example.test" (${OTHER_CA}), "one.example.test" (${OTHER_CA}), "two.example.test" (${OTHER_CA})`,
      },
    ],
  ])('readLegoHome() with %s, and writes nothing', async (_what, given, expected, check) => {
    await fsp.cp(LEGO_FIXTURE, home, { recursive: true });
    const d = deps(given);
    let ours = 'OURS';
    if (given.ours === 'older') {
      // Ours for one.example.test was issued 2026-11-27 00:35, before lego's (02:58): lego's is the newer one.
      // (A fixture certificate of other names: adoption goes by certificate name.)
      await d.store.saveCertificate({
        name: 'one.example.test',
        certPem: certs.ecLeaf,
        chainPem: certs.ecIntermediate,
        keyPem: certs.ecLeafKey,
        meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: LEGO_DIRECTORY },
      });
      // Ours for two.example.test was issued at 03:10, after lego's (02:59): ours is kept.
      const extra = (file: string): Promise<string> => fsp.readFile(join(LEGO_FIXTURE, '..', 'extra', file), 'utf8');
      await d.store.saveCertificate({
        name: 'two.example.test',
        certPem: await extra('old-two.crt'),
        chainPem: '',
        keyPem: await extra('old-two.key'),
        meta: { domains: ['two.example.test'], directoryUrl: LEGO_DIRECTORY },
      });
      ours = (await d.store.loadCertificateMeta('one.example.test'))!.serial;
    }
    const before = await tree();
    const found = await readLegoHome(home, d);
    expect(
      found?.certificates.map((c) => ({
        legoName: c.legoName,
        state: c.state,
        serial: c.serial,
        ...(c.ours === undefined ? {} : { ours: c.ours }),
        ...(c.state === 'ignored' ? { detail: c.detail } : {}),
      })),
    ).toEqual(expected.map((e) => ({ ...e, ...(e.ours === undefined ? {} : { ours }) })));
    expect(checkLegoAdoption(found, home)[0]).toMatchObject({ ...check, detail: check.detail.replace('OURS', ours) });
    expect(await tree()).toEqual(before);
  });
});
