import { shouldRenew, type AriWindow, type RenewalDecision, type ShouldRenewInput } from '../../../src/renewal';

const at = (iso: string): Date => new Date(iso);
const BAD = new Date('not a date');

// A 90-day certificate: one third left on 03-02, less than 1/20 (4.5 days) left after 03-27T12:00.
const CERT_90 = {
  notBefore: at('2026-01-01T00:00:00Z'),
  notAfter: at('2026-04-01T00:00:00Z'),
  domains: ['example.com', 'www.example.com'],
  keyType: 'ec256',
};
// Let's Encrypt's `shortlived` profile: 160 hours, so half-life on 01-04T08:00, emergency after 01-07T08:00.
const CERT_160H = { ...CERT_90, notAfter: at('2026-01-07T16:00:00Z'), profile: 'shortlived' };
const DESIRED = { domains: ['example.com', 'www.example.com'], keyType: 'ec256' };
const NEXT_HOUR = { now: at('2026-02-11T04:00:00Z'), nextCheckAt: at('2026-02-11T05:00:00Z') };

function ariWindow(overrides: Partial<AriWindow> = {}): AriWindow {
  return {
    start: at('2026-02-10T00:00:00Z'),
    end: at('2026-02-12T00:00:00Z'),
    chosenAt: at('2026-02-11T04:11:00Z'),
    retryAfter: at('2026-02-11T10:00:00Z'),
    ...overrides,
  };
}

function input(overrides: Partial<ShouldRenewInput>): ShouldRenewInput {
  return {
    certificate: CERT_90,
    desired: DESIRED,
    now: at('2026-02-01T00:00:00Z'),
    nextCheckAt: at('2026-02-01T01:00:00Z'),
    ...overrides,
  };
}

const notYet = (notBefore: string, detail: string): RenewalDecision => ({
  due: false,
  reason: 'not-yet',
  notBefore: at(notBefore),
  detail,
});
const due = (reason: Extract<RenewalDecision, { due: true }>['reason'], detail: string): RenewalDecision => ({
  due: true,
  reason,
  detail,
});

describe('shouldRenew() without ARI (lifetime rule)', () => {
  test.each<[string, Partial<ShouldRenewInput>, RenewalDecision]>([
    [
      'waits for one third of a 90-day lifetime',
      {},
      notYet('2026-03-02T00:00:00Z', 'one third of the 90-day lifetime left on 2026-03-02T00:00Z'),
    ],
    [
      'waits 1 ms before the one-third point',
      { now: at('2026-03-01T23:59:59.999Z') },
      notYet('2026-03-02T00:00:00Z', 'one third of the 90-day lifetime left on 2026-03-02T00:00Z'),
    ],
    [
      'renews exactly at the one-third point',
      { now: at('2026-03-02T00:00:00Z') },
      due('lifetime', 'one third of the 90-day lifetime left since 2026-03-02T00:00Z'),
    ],
    [
      "names a Let's Encrypt lifetime (90 days minus 1 s) 90-day",
      { certificate: { ...CERT_90, notAfter: at('2026-03-31T23:59:59Z') } },
      notYet('2026-03-01T23:59:59.333Z', 'one third of the 90-day lifetime left on 2026-03-01T23:59Z'),
    ],
    [
      'waits for half of a 160-hour lifetime',
      { certificate: CERT_160H, desired: { ...DESIRED, profile: 'shortlived' }, now: at('2026-01-02T00:00:00Z') },
      notYet('2026-01-04T08:00:00Z', 'one half of the 160-hour lifetime left on 2026-01-04T08:00Z'),
    ],
    [
      'renews a 160-hour certificate at half-life',
      { certificate: CERT_160H, desired: { ...DESIRED, profile: 'shortlived' }, now: at('2026-01-04T08:00:00Z') },
      due('lifetime', 'one half of the 160-hour lifetime left since 2026-01-04T08:00Z'),
    ],
    [
      'uses one half for a lifetime of exactly 10 days',
      { certificate: { ...CERT_90, notAfter: at('2026-01-11T00:00:00Z') }, now: at('2026-01-06T00:00:00Z') },
      due('lifetime', 'one half of the 10-day lifetime left since 2026-01-06T00:00Z'),
    ],
    [
      'uses one third for a lifetime just over 10 days',
      { certificate: { ...CERT_90, notAfter: at('2026-01-11T01:00:00Z') }, now: at('2026-01-05T00:00:00Z') },
      notYet('2026-01-07T16:40:00Z', 'one third of the 241-hour lifetime left on 2026-01-07T16:40Z'),
    ],
  ])('shouldRenew() %s', (_label, overrides, expected) => {
    expect(shouldRenew(input(overrides))).toEqual(expected);
  });
});

describe('shouldRenew() in an emergency', () => {
  const laterAri = ariWindow({
    start: at('2026-03-30T00:00:00Z'),
    end: at('2026-03-31T00:00:00Z'),
    chosenAt: at('2026-03-30T12:00:00Z'),
  });
  test.each<[string, Partial<ShouldRenewInput>, RenewalDecision]>([
    [
      'renews with less than 1/20 of the lifetime left even if ARI says later',
      { ari: laterAri, now: at('2026-03-28T00:00:00Z'), nextCheckAt: at('2026-03-28T01:00:00Z') },
      due('emergency', 'less than 1/20 of the 90-day lifetime left: expires 2026-04-01T00:00Z'),
    ],
    [
      'follows ARI with exactly 1/20 of the lifetime left',
      { ari: laterAri, now: at('2026-03-27T12:00:00Z'), nextCheckAt: at('2026-03-27T13:00:00Z') },
      notYet('2026-03-30T12:00:00Z', 'ARI window 2026-03-30T00:00Z–2026-03-31T00:00Z, chosen 2026-03-30T12:00Z'),
    ],
    [
      'renews a revoked certificate at once even if ARI and the lifetime say later',
      { ari: laterAri, revokedAt: at('2026-02-01T00:00:00Z'), now: at('2026-02-01T00:05:00Z') },
      due('emergency', 'the certificate was revoked on 2026-02-01T00:00Z'),
    ],
    [
      'renews an expired certificate',
      { now: at('2026-05-01T00:00:00Z') },
      due('emergency', 'the certificate expired on 2026-04-01T00:00Z'),
    ],
    [
      'renews at the instant of expiry',
      { now: at('2026-04-01T00:00:00Z') },
      due('emergency', 'the certificate expired on 2026-04-01T00:00Z'),
    ],
    [
      'renews a 160-hour certificate with under 8 hours left',
      { certificate: CERT_160H, desired: { ...DESIRED, profile: 'shortlived' }, now: at('2026-01-07T08:00:01Z') },
      due('emergency', 'less than 1/20 of the 160-hour lifetime left: expires 2026-01-07T16:00Z'),
    ],
    [
      'renews when notAfter is before notBefore (hostile)',
      { certificate: { ...CERT_90, notBefore: CERT_90.notAfter, notAfter: CERT_90.notBefore } },
      due(
        'emergency',
        "the certificate's validity is unusable (notBefore 2026-04-01T00:00Z, notAfter 2026-01-01T00:00Z)",
      ),
    ],
    [
      'renews when notAfter equals notBefore',
      { certificate: { ...CERT_90, notAfter: CERT_90.notBefore } },
      due(
        'emergency',
        "the certificate's validity is unusable (notBefore 2026-01-01T00:00Z, notAfter 2026-01-01T00:00Z)",
      ),
    ],
    [
      'renews when notAfter is NaN',
      { certificate: { ...CERT_90, notAfter: BAD }, ari: ariWindow() },
      due('emergency', `the certificate's validity is unusable (notBefore 2026-01-01T00:00Z, notAfter "Invalid Date")`),
    ],
    [
      'reports the emergency before a configuration change',
      { desired: { ...DESIRED, keyType: 'rsa2048' }, now: at('2026-03-31T00:00:00Z') },
      due('emergency', 'less than 1/20 of the 90-day lifetime left: expires 2026-04-01T00:00Z'),
    ],
  ])('shouldRenew() %s', (_label, overrides, expected) => {
    expect(shouldRenew(input(overrides))).toEqual(expected);
  });
});

describe('shouldRenew() on configuration changes', () => {
  const lifetimeNotYet = notYet('2026-03-02T00:00:00Z', 'one third of the 90-day lifetime left on 2026-03-02T00:00Z');
  test.each<[string, Partial<ShouldRenewInput>, RenewalDecision]>([
    [
      'ignores order and case of names',
      { desired: { ...DESIRED, domains: ['WWW.Example.com', 'example.COM'] } },
      lifetimeNotYet,
    ],
    [
      'ignores duplicate names and surrounding blanks',
      { desired: { ...DESIRED, domains: ['example.com', ' www.example.com ', 'example.com'] } },
      lifetimeNotYet,
    ],
    [
      'ignores how an IPv6 address is spelled',
      {
        certificate: { ...CERT_90, domains: ['example.com', '0:0:0:0:0:0:0:1'] },
        desired: { ...DESIRED, domains: ['example.com', '::1'] },
      },
      lifetimeNotYet,
    ],
    [
      'renews when a name is added',
      { desired: { ...DESIRED, domains: [...DESIRED.domains, 'api.example.com'] } },
      due('config-changed', 'configuration changed: names added "api.example.com"'),
    ],
    [
      'renews when a name is removed and the key type changes',
      { desired: { domains: ['example.com'], keyType: 'rsa2048' } },
      due(
        'config-changed',
        'configuration changed: names removed "www.example.com"; key type changed from "ec256" to "rsa2048"',
      ),
    ],
    [
      'renews when a profile is set on a default-profile certificate',
      { desired: { ...DESIRED, profile: 'shortlived' } },
      due('config-changed', 'configuration changed: profile changed from the CA default to "shortlived"'),
    ],
    [
      'renews when the profile is dropped',
      { certificate: CERT_160H, now: at('2026-01-02T00:00:00Z') },
      due('config-changed', 'configuration changed: profile changed from "shortlived" to the CA default'),
    ],
    [
      'renews when all names are removed (hostile)',
      { desired: { ...DESIRED, domains: [] } },
      due('config-changed', 'configuration changed: names removed "example.com", "www.example.com"'),
    ],
  ])('shouldRenew() %s', (_label, overrides, expected) => {
    expect(shouldRenew(input(overrides))).toEqual(expected);
  });
});

describe('shouldRenew() with an ARI window', () => {
  const window = 'ARI window 2026-02-10T00:00Z–2026-02-12T00:00Z, chosen 2026-02-11T04:11Z';
  test.each<[string, Partial<ShouldRenewInput>, RenewalDecision]>([
    [
      'renews when the ARI chosen time falls before the next check',
      { ...NEXT_HOUR, ari: ariWindow() },
      due('ari-window', `${window}, no later than the next check at 2026-02-11T05:00Z`),
    ],
    [
      'waits when the ARI chosen time is after the next check',
      { now: at('2026-02-11T02:00:00Z'), nextCheckAt: at('2026-02-11T03:00:00Z'), ari: ariWindow() },
      notYet('2026-02-11T04:11:00Z', window),
    ],
    [
      'renews when the chosen time equals the next check',
      { now: at('2026-02-11T03:11:00Z'), nextCheckAt: at('2026-02-11T04:11:00Z'), ari: ariWindow() },
      due('ari-window', `${window}, no later than the next check at 2026-02-11T04:11Z`),
    ],
    [
      'renews now when the window is far in the past',
      {
        ...NEXT_HOUR,
        ari: ariWindow({
          start: at('2020-01-01T00:00:00Z'),
          end: at('2020-01-02T00:00:00Z'),
          chosenAt: at('2020-01-01T06:00:00Z'),
        }),
      },
      due(
        'ari-window',
        'ARI window 2020-01-01T00:00Z–2020-01-02T00:00Z, chosen 2020-01-01T06:00Z, no later than the next check at 2026-02-11T05:00Z',
      ),
    ],
    [
      'follows ARI past the one-third point',
      {
        now: at('2026-03-05T00:00:00Z'),
        nextCheckAt: at('2026-03-05T01:00:00Z'),
        ari: ariWindow({
          start: at('2026-03-10T00:00:00Z'),
          end: at('2026-03-12T00:00:00Z'),
          chosenAt: at('2026-03-11T00:00:00Z'),
        }),
      },
      notYet('2026-03-11T00:00:00Z', 'ARI window 2026-03-10T00:00Z–2026-03-12T00:00Z, chosen 2026-03-11T00:00Z'),
    ],
    [
      'mentions the explanation URL',
      { ...NEXT_HOUR, ari: ariWindow({ explanationUrl: 'https://acme.example/docs/ari' }) },
      due(
        'ari-window',
        `${window}, no later than the next check at 2026-02-11T05:00Z; explanation: https://acme.example/docs/ari`,
      ),
    ],
    [
      'treats an unusable next check as now',
      { now: NEXT_HOUR.now, nextCheckAt: BAD, ari: ariWindow() },
      notYet('2026-02-11T04:11:00Z', window),
    ],
    [
      'treats a next check before now as now (hostile)',
      { now: at('2026-02-11T04:11:00Z'), nextCheckAt: at('2000-01-01T00:00:00Z'), ari: ariWindow() },
      due('ari-window', `${window}, no later than the next check at 2026-02-11T04:11Z`),
    ],
    [
      'ignores a window whose end is before its start',
      { ari: ariWindow({ start: at('2026-02-12T00:00:00Z'), end: at('2026-02-10T00:00:00Z') }) },
      notYet(
        '2026-03-02T00:00:00Z',
        'ARI window ignored because its end 2026-02-10T00:00Z is not after its start 2026-02-12T00:00Z; one third of the 90-day lifetime left on 2026-03-02T00:00Z',
      ),
    ],
    [
      'ignores a window with an unparsable start',
      { ...NEXT_HOUR, ari: ariWindow({ start: BAD }) },
      notYet(
        '2026-03-02T00:00:00Z',
        'ARI window ignored because its start is not a valid date; one third of the 90-day lifetime left on 2026-03-02T00:00Z',
      ),
    ],
    [
      'ignores a chosen time outside the window',
      { ...NEXT_HOUR, ari: ariWindow({ chosenAt: at('2026-02-01T00:00:00Z') }) },
      notYet(
        '2026-03-02T00:00:00Z',
        'ARI window ignored because its chosen time 2026-02-01T00:00Z is outside it; one third of the 90-day lifetime left on 2026-03-02T00:00Z',
      ),
    ],
  ])('shouldRenew() %s', (_label, overrides, expected) => {
    expect(shouldRenew(input(overrides))).toEqual(expected);
  });
});

describe('shouldRenew() when forced or misused', () => {
  test('shouldRenew() renews when forced, ignoring schedule and backoff', () => {
    const failure = { failures: 1000, lastFailureAt: at('2026-02-01T00:00:00Z'), lastError: 'boom' };
    expect(shouldRenew(input({ force: true, failure, ari: ariWindow() }))).toEqual(
      due('forced', 'renewal forced (--force)'),
    );
  });

  test('shouldRenew() rejects an invalid now', () => {
    expect(() => shouldRenew(input({ now: BAD }))).toThrow(
      new RangeError('Cannot decide whether to renew: "now" is not a valid date'),
    );
  });
});
