import { runCli, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { StorageError } from '../../../src/errors';
import { listCertificates, type CertificateSummary } from '../../../src/issuance';
import { ariCertId } from '../../../src/pem';
import {
  MemoryCertificateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  type RenewalState,
} from '../../../src/storage';
import { cliHarness } from '../cli/_harness';
import { certs, EC_LEAF_NAMES, NO_SUBJECT_NAMES } from '../../fixtures/certs';

// The fixture leaf: notBefore 2026-11-27T00:35:54Z, notAfter 2126-11-03T00:35:54Z (36500 days).
// One third left on 2093-07-11T08:35:54Z; less than 1/20 left from 2121-11-04T00:35:54Z.
const NOW = new Date('2026-12-01T00:00:00Z');
/** Bundle paths only (`/srv/acme/haproxy/<name>.pem`); listCertificates() never writes one. */
const bundles = new MemoryLocalBundles({ home: '/srv/acme' });
const CERT_ID = ariCertId(certs.ecLeaf);
const OTHER_CERT_ID = ariCertId(certs.ecLeaf2);
const LIFETIME_AT = '2093-07-11T08:35:54.000Z';
const LIFETIME_NOT_YET = 'one third of the 36500-day lifetime left on 2093-07-11T08:35Z';
const FUTURE_WINDOW = {
  start: '2027-01-01T00:00:00.000Z',
  end: '2027-01-03T00:00:00.000Z',
  chosenAt: '2027-01-02T12:00:00.000Z',
  retryAfter: '2026-12-01T06:00:00.000Z',
};
const PAST_WINDOW = {
  start: '2026-11-29T00:00:00.000Z',
  end: '2026-11-30T00:00:00.000Z',
  chosenAt: '2026-11-29T06:00:00.000Z',
  retryAfter: '2026-12-01T06:00:00.000Z',
};

async function storeWithLeaf(profile?: string): Promise<MemoryCertificateStore> {
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: {
      domains: EC_LEAF_NAMES.slice(0, 2),
      directoryUrl: 'https://ca.example.test/dir',
      ...(profile === undefined ? {} : { profile }),
    },
  });
  return store;
}

async function listWith(state: RenewalState, now = NOW): Promise<CertificateSummary> {
  const renewalState = new MemoryRenewalStateStore();
  renewalState.states.set('site', state);
  const [summary] = await listCertificates({
    store: await storeWithLeaf(),
    bundles,
    clock: fixedClock(now),
    renewalState,
  });
  return summary!;
}

describe('listCertificates()', () => {
  test('listCertificates() without renewal state reports the lifetime rule, the profile and no history, every key present', async () => {
    const store = await storeWithLeaf('tlsserver');
    const summaries = await listCertificates({ store, bundles, clock: fixedClock(NOW) });
    expect(summaries).toEqual([
      {
        name: 'site',
        domains: ['example.com', 'www.example.com'],
        serial: '87654321FEDCBA9876543210',
        notBefore: '2026-11-27T00:35:54.000Z',
        notAfter: '2126-11-03T00:35:54.000Z',
        daysLeft: 36496,
        keyType: 'ec256',
        profile: 'tlsserver',
        bundlePath: '/srv/acme/haproxy/site.pem',
        nextRenewal: { at: LIFETIME_AT, due: false, reason: 'lifetime', detail: LIFETIME_NOT_YET },
        ari: null,
        lastError: null,
        lastSuccessAt: null,
        lastFailureAt: null,
        failuresTotal: 0,
        hooks: [],
        endpoints: [],
        adoptedFrom: null,
        nodes: [],
      },
    ]);
    // The --json document's key order is part of its contract.
    expect(Object.keys(summaries[0]!)).toEqual([
      'name',
      'domains',
      'serial',
      'notBefore',
      'notAfter',
      'daysLeft',
      'keyType',
      'profile',
      'bundlePath',
      'nextRenewal',
      'ari',
      'lastError',
      'lastSuccessAt',
      'lastFailureAt',
      'failuresTotal',
      'hooks',
      'endpoints',
      'adoptedFrom',
      'nodes',
    ]);
  });

  test.each<[string, RenewalState, string, CertificateSummary['nextRenewal']]>([
    [
      'nothing stored, early in the lifetime',
      {},
      '2026-12-01T00:00:00Z',
      { at: LIFETIME_AT, due: false, reason: 'lifetime', detail: LIFETIME_NOT_YET },
    ],
    [
      'nothing stored, one third left',
      {},
      '2100-01-01T00:00:00Z',
      {
        at: '2100-01-01T00:00:00.000Z',
        due: true,
        reason: 'lifetime',
        detail: 'one third of the 36500-day lifetime left since 2093-07-11T08:35Z',
      },
    ],
    [
      'less than 1/20 left, even with an ARI window far ahead',
      {
        ari: {
          certId: CERT_ID,
          start: '2126-01-01T00:00:00.000Z',
          end: '2126-01-02T00:00:00.000Z',
          chosenAt: '2126-01-01T00:00:00.000Z',
          retryAfter: '2122-01-01T06:00:00.000Z',
        },
      },
      '2122-01-01T00:00:00Z',
      {
        at: '2122-01-01T00:00:00.000Z',
        due: true,
        reason: 'emergency',
        detail: 'less than 1/20 of the 36500-day lifetime left: expires 2126-11-03T00:35Z',
      },
    ],
    [
      'an ARI window ahead',
      { ari: { certId: CERT_ID, ...FUTURE_WINDOW, explanationUrl: 'https://ca.example.test/why' } },
      '2026-12-01T00:00:00Z',
      {
        at: '2027-01-02T12:00:00.000Z',
        due: false,
        reason: 'ari-window',
        detail:
          'ARI window 2027-01-01T00:00Z–2027-01-03T00:00Z, chosen 2027-01-02T12:00Z; explanation: https://ca.example.test/why',
      },
    ],
    [
      'an ARI window already passed',
      { ari: { certId: CERT_ID, ...PAST_WINDOW } },
      '2026-12-01T00:00:00Z',
      {
        at: '2026-12-01T00:00:00.000Z',
        due: true,
        reason: 'ari-window',
        detail:
          'ARI window 2026-11-29T00:00Z–2026-11-30T00:00Z, chosen 2026-11-29T06:00Z, no later than the next check at 2026-12-01T00:00Z',
      },
    ],
    [
      'an ARI window of the previous certificate (other CertID)',
      { ari: { certId: OTHER_CERT_ID, ...PAST_WINDOW } },
      '2026-12-01T00:00:00Z',
      { at: LIFETIME_AT, due: false, reason: 'lifetime', detail: LIFETIME_NOT_YET },
    ],
    [
      'hostile: an ARI window that ends before it starts',
      { ari: { certId: CERT_ID, ...PAST_WINDOW, start: '2026-11-30T00:00:00.000Z', end: '2026-11-29T00:00:00.000Z' } },
      '2026-12-01T00:00:00Z',
      {
        at: LIFETIME_AT,
        due: false,
        reason: 'lifetime',
        detail: `ARI window ignored because its end 2026-11-29T00:00Z is not after its start 2026-11-30T00:00Z; ${LIFETIME_NOT_YET}`,
      },
    ],
    [
      'hostile: an unreadable chosen time',
      { ari: { certId: CERT_ID, ...PAST_WINDOW, chosenAt: 'soon' } },
      '2026-12-01T00:00:00Z',
      {
        at: LIFETIME_AT,
        due: false,
        reason: 'lifetime',
        detail: `ARI window ignored because its chosen time is not a valid date; ${LIFETIME_NOT_YET}`,
      },
    ],
    [
      'due by ARI 30 s after a first failure',
      {
        ari: { certId: CERT_ID, ...PAST_WINDOW },
        failure: {
          failures: 1,
          lastFailureAt: '2026-11-30T23:59:30.000Z',
          lastError: 'Cannot validate "example.com": HTTP 404',
          nextAttemptAt: '2026-12-01T00:00:30.000Z',
        },
      },
      '2026-12-01T00:00:00Z',
      {
        at: '2026-12-01T00:00:30.000Z',
        due: false,
        reason: 'backoff',
        detail:
          'backing off until 2026-12-01T00:00Z after 1 failure; last error: "Cannot validate "example.com": HTTP 404"; then: ARI window 2026-11-29T00:00Z–2026-11-30T00:00Z, chosen 2026-11-29T06:00Z, no later than the next check at 2026-12-01T00:00Z',
      },
    ],
    [
      'in an emergency after 4 failures: backoff capped at one hour',
      {
        failure: {
          failures: 4,
          lastFailureAt: '2122-01-01T00:00:00.000Z',
          lastError: 'boom',
          nextAttemptAt: '2122-01-01T01:00:00.000Z',
        },
      },
      '2122-01-01T00:10:00Z',
      {
        at: '2122-01-01T01:00:00.000Z',
        due: false,
        reason: 'backoff',
        detail:
          'backing off until 2122-01-01T01:00Z after 4 consecutive failures (capped at 1 hour in an emergency); last error: "boom"; then: less than 1/20 of the 36500-day lifetime left: expires 2126-11-03T00:35Z',
      },
    ],
    [
      'a failure whose backoff ends before the schedule: the schedule wins',
      {
        failure: {
          failures: 4,
          lastFailureAt: '2026-11-30T00:00:00.000Z',
          lastError: 'boom',
          nextAttemptAt: '2026-12-01T00:00:00.000Z',
        },
      },
      '2026-12-01T00:00:00Z',
      { at: LIFETIME_AT, due: false, reason: 'lifetime', detail: LIFETIME_NOT_YET },
    ],
    [
      'hostile: an unreadable failure time disables the backoff',
      {
        ari: { certId: CERT_ID, ...PAST_WINDOW },
        failure: { failures: 2, lastFailureAt: 'yesterday', lastError: 'boom', nextAttemptAt: 'later' },
      },
      '2026-12-01T00:00:00Z',
      {
        at: '2026-12-01T00:00:00.000Z',
        due: true,
        reason: 'ari-window',
        detail:
          'ARI window 2026-11-29T00:00Z–2026-11-30T00:00Z, chosen 2026-11-29T06:00Z, no later than the next check at 2026-12-01T00:00Z',
      },
    ],
  ])('listCertificates() nextRenewal with %s', async (_label, state, now, expected) => {
    expect((await listWith(state, new Date(now))).nextRenewal).toEqual(expected);
  });

  test('listCertificates() shows the stored ARI window, last error, last success and hook results', async () => {
    const summary = await listWith({
      ari: { certId: CERT_ID, ...FUTURE_WINDOW },
      failure: {
        failures: 2,
        lastFailureAt: '2026-11-30T23:55:00.000Z',
        lastError: 'Cannot reach the CA',
        nextAttemptAt: '2026-12-01T00:05:00.000Z',
      },
      lastSuccessAt: '2026-11-27T01:00:00.000Z',
      hooks: [
        { label: '10-reload', ok: true, exitCode: 0, timedOut: false, at: '2026-11-27T01:00:00.000Z' },
        {
          label: '/usr/local/bin/slow',
          ok: false,
          exitCode: null,
          timedOut: true,
          at: '2026-11-27T01:00:00.000Z',
          error: 'Hook "/usr/local/bin/slow" timed out after 120 s',
        },
      ],
    });
    expect({
      ari: summary.ari,
      lastError: summary.lastError,
      lastSuccessAt: summary.lastSuccessAt,
      hooks: summary.hooks,
      reason: summary.nextRenewal.reason,
    }).toEqual({
      ari: { ...FUTURE_WINDOW, explanationUrl: null },
      lastError: {
        message: 'Cannot reach the CA',
        at: '2026-11-30T23:55:00.000Z',
        failures: 2,
        nextAttemptAt: '2026-12-01T00:05:00.000Z',
      },
      lastSuccessAt: '2026-11-27T01:00:00.000Z',
      hooks: [
        { label: '10-reload', ok: true, exitCode: 0, timedOut: false, at: '2026-11-27T01:00:00.000Z', error: null },
        {
          label: '/usr/local/bin/slow',
          ok: false,
          exitCode: null,
          timedOut: true,
          at: '2026-11-27T01:00:00.000Z',
          error: 'Hook "/usr/local/bin/slow" timed out after 120 s',
        },
      ],
      // The failure's 10-minute backoff ends long before the chosen time: the window decides.
      reason: 'ari-window',
    });
  });

  test('listCertificates() fails with the StorageError of an unreadable renewal state', async () => {
    const renewalState = new MemoryRenewalStateStore();
    const corrupt = new StorageError('STORAGE_CORRUPT', 'Cannot read "/srv/acme/renewal/site.json": invalid JSON', {
      path: '/srv/acme/renewal/site.json',
    });
    renewalState.load = async () => {
      throw corrupt;
    };
    await expect(
      listCertificates({ store: await storeWithLeaf(), bundles, clock: fixedClock(NOW), renewalState }),
    ).rejects.toBe(corrupt);
  });
});

describe("a certificate without a subject (SANs only, as Let's Encrypt issues today)", () => {
  test('listCertificates() and acme list --json report it with its ARI window, matched by its CertID', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
    await store.saveCertificate({
      name: 'example.net',
      certPem: certs.noSubjectLeaf,
      chainPem: certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
      meta: { domains: NO_SUBJECT_NAMES, directoryUrl: 'https://ca.example.test/dir', profile: 'shortlived' },
    });
    const renewalState = new MemoryRenewalStateStore();
    renewalState.states.set('example.net', { ari: { certId: ariCertId(certs.noSubjectLeaf), ...FUTURE_WINDOW } });
    const { deps, stdout } = cliHarness({ store, renewalState }, { clock: fixedClock(NOW) });

    expect(await runCli(['list', '--json', '--home', '/srv/acme'], deps)).toBe(EXIT_OK);

    expect(JSON.parse(stdout())).toMatchObject({
      certificates: [
        {
          name: 'example.net',
          domains: NO_SUBJECT_NAMES,
          serial: '9ABCDEF0123456789ABC',
          profile: 'shortlived',
          ari: { start: FUTURE_WINDOW.start },
          nextRenewal: { reason: 'ari-window' },
        },
      ],
    });
  });
});

describe('acme list (text)', () => {
  async function listText(state: RenewalState, profile?: string): Promise<string> {
    const renewalState = new MemoryRenewalStateStore();
    renewalState.states.set('site', state);
    const store = await storeWithLeaf(profile);
    const { deps, stdout } = cliHarness(
      {
        store,
        renewalState,
        acmeFor: () => {
          throw new Error('acme list MUST NOT talk to the CA');
        },
      },
      { clock: fixedClock(NOW) },
    );
    expect(await runCli(['list', '--home', '/srv/acme'], deps)).toBe(EXIT_OK);
    return stdout();
  }

  test.each<[string, RenewalState, string | undefined, string]>([
    ['the lifetime rule', {}, undefined, '-        2093-07-11 (lifetime)'],
    ['a passed ARI window', { ari: { certId: CERT_ID, ...PAST_WINDOW } }, 'shortlived', 'shortlived  now (ari-window)'],
    [
      'a backoff, with a multi-line error folded into one line',
      {
        ari: { certId: CERT_ID, ...PAST_WINDOW },
        failure: {
          failures: 1,
          lastFailureAt: '2026-11-30T23:59:30.000Z',
          lastError: 'Cannot order:\n  rate limited\r\n',
          nextAttemptAt: '2026-12-01T00:00:30.000Z',
        },
      },
      undefined,
      '-        backing off until 2026-12-01 00:00Z (last error: Cannot order: rate limited)',
    ],
    [
      'a backoff, with a long error cut at 80 characters',
      {
        ari: { certId: CERT_ID, ...PAST_WINDOW },
        failure: {
          failures: 1,
          lastFailureAt: '2026-11-30T23:59:30.000Z',
          lastError: `Cannot validate "example.com": ${'x'.repeat(100)}`,
          nextAttemptAt: '2026-12-01T00:00:30.000Z',
        },
      },
      undefined,
      `-        backing off until 2026-12-01 00:00Z (last error: Cannot validate "example.com": ${'x'.repeat(48)}…)`,
    ],
  ])('acme list shows PROFILE and NEXT RENEWAL for %s', async (_label, state, profile, cells) => {
    const [header, row] = (await listText(state, profile)).split('\n');
    expect(header).toMatch(/^NAME +DOMAINS +SERIAL +NOT AFTER +DAYS LEFT +KEY +PROFILE +NEXT RENEWAL$/);
    expect(row).toBe(
      `site  example.com,www.example.com  87654321FEDCBA9876543210  2126-11-03T00:35:54.000Z  36496      ec256  ${cells}`,
    );
  });
});
