import { planLegoImport, type LegoImportPlan, type LegoSnapshot } from '../../../src/migration';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';
import {
  accountFiles,
  certificateFiles,
  extraFile,
  fixtureSnapshot,
  LEGO_DIRECTORY,
  LEGO_NOW,
  ONE_SERIAL,
  TWO_SERIAL,
  WILD_SERIAL,
  withJson,
} from './_lego';

/** The plan without key material, for exact comparison. */
function summary(plan: LegoImportPlan) {
  return {
    account:
      plan.account === undefined
        ? undefined
        : { folder: plan.account.account.folder, chosenBy: plan.account.chosenBy, others: plan.account.others },
    accountNote: plan.accountNote,
    certificates: plan.certificates.map((c) => [c.name, c.certificate.serial, c.domains]),
    skipped: plan.skipped.map((s) => [s.legoName, s.reason]),
    otherServers: plan.otherServers,
    problems: plan.problems,
  };
}

const WILD_SKIP = [
  '*.wild.example.test',
  'it has the wildcard name "*.wild.example.test", which HTTP-01 cannot validate; keep renewing it with lego (DNS-01)',
];

describe('planLegoImport()', () => {
  test('planLegoImport() of the real lego directory adopts the first account and both HTTP-01 certificates, and skips the wildcard', () => {
    expect(summary(planLegoImport(fixtureSnapshot(), { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW }))).toEqual({
      account: { folder: 'admin@example.test', chosenBy: 'first', others: ['other@example.test'] },
      accountNote: undefined,
      certificates: [
        ['one.example.test', ONE_SERIAL, ['one.example.test', 'www.one.example.test']],
        ['two.example.test', TWO_SERIAL, ['two.example.test']],
      ],
      skipped: [WILD_SKIP],
      otherServers: [],
      problems: [],
    });
  });

  test('planLegoImport() adopts a certificate without a subject under its canonical DNS and IP names', () => {
    const base = 'certificates/example.net';
    const snapshot = fixtureSnapshot();
    snapshot.certificates = [
      {
        base: 'example.net',
        crt: { path: `${base}.crt`, text: certs.noSubjectLeaf + certs.noSubjectIntermediate },
        key: { path: `${base}.key`, text: certs.noSubjectLeafKey },
      },
    ];
    expect(summary(planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW })).certificates).toEqual([
      ['example.net', '9ABCDEF0123456789ABC', NO_SUBJECT_NAMES],
    ]);
  });

  test.each([
    [
      '--email picks the account',
      { email: 'other@example.test' },
      { folder: 'other@example.test', chosenBy: 'email', others: ['admin@example.test'] },
    ],
    [
      '--email matches case-insensitively',
      { email: 'OTHER@example.test' },
      { folder: 'other@example.test', chosenBy: 'email', others: ['admin@example.test'] },
    ],
  ])('planLegoImport(): %s', (_name, options, expected) => {
    expect(
      summary(planLegoImport(fixtureSnapshot(), { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW, ...options })).account,
    ).toEqual(expected);
  });

  test('planLegoImport() with an unknown --email is a problem listing the accounts of the CA', () => {
    expect(
      planLegoImport(fixtureSnapshot(), { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW, email: 'nobody@example.test' })
        .problems,
    ).toEqual([
      {
        file: 'accounts',
        message:
          'there is no lego account "nobody@example.test" for "127.0.0.1:33595" (accounts of this CA: "admin@example.test", "other@example.test")',
      },
    ]);
  });

  test('planLegoImport() skips an invalid account and takes the next valid one in sorted order', () => {
    const snapshot = fixtureSnapshot();
    snapshot.accounts[0] = { ...accountFiles('admin@example.test'), key: undefined };
    expect(summary(planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW })).account).toEqual({
      folder: 'other@example.test',
      chosenBy: 'first',
      others: ['admin@example.test'],
    });
  });

  test('planLegoImport() reports every account problem when no account of the CA is valid', () => {
    const snapshot = fixtureSnapshot();
    snapshot.accounts = snapshot.accounts.map((a) => ({ ...a, key: undefined }));
    expect(
      planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW }).problems.map((p) => p.file),
    ).toEqual([
      'accounts/127.0.0.1_33595/admin@example.test/keys/admin@example.test.key',
      'accounts/127.0.0.1_33595/other@example.test/keys/other@example.test.key',
    ]);
  });

  test.each([
    [
      "Let's Encrypt production",
      'https://acme-v02.api.letsencrypt.org/directory',
      'the lego directory has no account for "acme-v02.api.letsencrypt.org:443" (only for "127.0.0.1_33595")',
    ],
    [
      'the same host on another port',
      'https://127.0.0.1:14000/dir',
      'the lego directory has no account for "127.0.0.1:14000" (only for "127.0.0.1_33595")',
    ],
  ])('planLegoImport() for %s adopts no account and says why', (_name, directoryUrl, note) => {
    const plan = planLegoImport(fixtureSnapshot(), { directoryUrl, now: LEGO_NOW });
    expect([plan.account, plan.accountNote, plan.otherServers]).toEqual([undefined, note, ['127.0.0.1_33595']]);
  });

  test('planLegoImport() for another CA skips the certificates lego got from pebble', () => {
    const plan = planLegoImport(fixtureSnapshot(), {
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      now: LEGO_NOW,
    });
    expect([plan.certificates, plan.skipped.map((s) => s.reason)]).toEqual([
      [],
      [
        'it was issued through "127.0.0.1:33595", not through --directory "https://acme-v02.api.letsencrypt.org/directory"',
        'it was issued through "127.0.0.1:33595", not through --directory "https://acme-v02.api.letsencrypt.org/directory"',
        'it was issued through "127.0.0.1:33595", not through --directory "https://acme-v02.api.letsencrypt.org/directory"',
      ],
    ]);
  });

  const onlyCertificates = (certificates: LegoSnapshot['certificates']): LegoSnapshot => ({
    ...fixtureSnapshot(),
    certificates,
  });
  test.each([
    [
      'an expired certificate',
      onlyCertificates([certificateFiles('one.example.test')]),
      new Date('2031-11-27T02:58:28Z'),
      [
        [
          'one.example.test',
          'it expired on 2031-11-27T02:58:28.000Z; run "acme issue -d one.example.test" for a new one',
        ],
      ],
    ],
    [
      'an Ed25519 certificate',
      onlyCertificates([
        {
          base: 'ed.example.test',
          crt: extraFile('ed25519.crt', 'certificates/ed.example.test.crt'),
          key: extraFile('ed25519.key', 'certificates/ed.example.test.key'),
        },
      ]),
      LEGO_NOW,
      [
        [
          'ed.example.test',
          'its key type "ed25519" is not one haproxy-acme renews with (ec256, ec384, rsa2048, rsa3072, rsa4096); keep renewing it with lego',
        ],
      ],
    ],
    [
      'a certificate without a key (lego --csr)',
      onlyCertificates([{ ...certificateFiles('one.example.test'), key: undefined }]),
      LEGO_NOW,
      [['one.example.test', 'the lego directory has no private key for it (lego was given a CSR)']],
    ],
    ['a wildcard certificate', onlyCertificates([certificateFiles('_.wild.example.test')]), LEGO_NOW, [WILD_SKIP]],
  ])('planLegoImport() skips %s with the reason', (_name, snapshot, now, skipped) => {
    const plan = planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now });
    expect([plan.certificates.length, plan.skipped.map((s) => [s.legoName, s.reason]), plan.problems]).toEqual([
      0,
      skipped,
      [],
    ]);
  });

  test('planLegoImport() keeps the later of two lego certificates with the same name', () => {
    const one = certificateFiles('one.example.test');
    const upper = {
      ...one,
      base: 'ONE.example.test',
      json: withJson(one.json, (v) => ({ ...v, domain: 'ONE.example.test' })),
    };
    const plan = planLegoImport(onlyCertificates([upper, one]), { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW });
    expect([plan.certificates.map((c) => c.certificate.legoName), plan.skipped.map((s) => s.reason)]).toEqual([
      ['ONE.example.test'],
      ['"ONE.example.test" has the same certificate name "one.example.test" and expires no earlier; kept that one'],
    ]);
  });

  test("planLegoImport() passes on the reader's problems and adds every invalid file", () => {
    const snapshot = fixtureSnapshot();
    snapshot.problems.push({ file: 'certificates/x.crt', message: 'it is a symbolic link loop' });
    snapshot.certificates.push({ ...certificateFiles('two.example.test'), base: 'three.example.test' });
    expect(planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW }).problems).toEqual([
      { file: 'certificates/x.crt', message: 'it is a symbolic link loop' },
      {
        file: 'certificates/two.example.test.json',
        message: '"domain" "two.example.test" does not belong to files named "three.example.test.*"',
      },
    ]);
  });

  test('planLegoImport() keeps the wildcard serial in its skip', () => {
    expect(planLegoImport(fixtureSnapshot(), { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW }).skipped[0]?.serial).toBe(
      WILD_SERIAL,
    );
  });
});
