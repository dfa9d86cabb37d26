import {
  backoffUntil,
  nextRetryDelayMs,
  RETRY_DELAYS_MS,
  shouldRenew,
  type FailureState,
  type RenewalDecision,
  type ShouldRenewInput,
} from '../../../src/renewal';

const at = (iso: string): Date => new Date(iso);
const MIN = 60_000;

// Due by the lifetime rule since 2026-03-02; emergency (< 4.5 days left) after 2026-03-27T12:00.
const CERT_90 = {
  notBefore: at('2026-01-01T00:00:00Z'),
  notAfter: at('2026-04-01T00:00:00Z'),
  domains: ['example.com'],
  keyType: 'ec256',
};
const NOW = at('2026-03-10T12:00:00Z');
const LIFETIME_DUE = 'one third of the 90-day lifetime left since 2026-03-02T00:00Z';

const EMERGENCY_NOW = at('2026-03-31T00:00:00Z');

function failed(failures: number, minutesAgo: number, extra: Partial<FailureState> = {}, now = NOW): FailureState {
  return {
    failures,
    lastFailureAt: new Date(now.getTime() - minutesAgo * MIN),
    lastError: 'Cannot reach "acme.example": timeout',
    ...extra,
  };
}

function input(overrides: Partial<ShouldRenewInput>): ShouldRenewInput {
  return {
    certificate: CERT_90,
    desired: { domains: ['example.com'], keyType: 'ec256' },
    now: NOW,
    nextCheckAt: new Date(NOW.getTime() + 60 * MIN),
    ...overrides,
  };
}

const backoff = (until: string, detail: string): RenewalDecision => ({
  due: false,
  reason: 'backoff',
  notBefore: at(until),
  detail,
});
const lastError = 'last error: "Cannot reach "acme.example": timeout"';

describe('nextRetryDelayMs()', () => {
  test.each<[number, number]>([
    [0, 0],
    [-5, 0],
    [Number.NaN, 0],
    [1, MIN],
    [1.9, MIN],
    [2, 10 * MIN],
    [3, 100 * MIN],
    [4, 24 * 60 * MIN],
    [1000, 24 * 60 * MIN],
    [Number.POSITIVE_INFINITY, 24 * 60 * MIN],
  ])('nextRetryDelayMs(%p) is %p ms', (failures, expected) => {
    expect(nextRetryDelayMs(failures)).toBe(expected);
  });

  test('RETRY_DELAYS_MS is 1 min, 10 min, 100 min, 24 h', () => {
    expect(RETRY_DELAYS_MS).toEqual([MIN, 10 * MIN, 100 * MIN, 24 * 60 * MIN]);
  });
});

describe('shouldRenew() with failures', () => {
  test.each<[string, Partial<ShouldRenewInput>, RenewalDecision]>([
    [
      'waits 1 minute after one failure',
      { failure: failed(1, 0.5) },
      backoff(
        '2026-03-10T12:00:30Z',
        `backing off until 2026-03-10T12:00Z after 1 failure; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      'renews 1 minute after one failure',
      { failure: failed(1, 1) },
      { due: true, reason: 'lifetime', detail: LIFETIME_DUE },
    ],
    [
      'waits 10 minutes after two failures',
      { failure: failed(2, 9) },
      backoff(
        '2026-03-10T12:01:00Z',
        `backing off until 2026-03-10T12:01Z after 2 consecutive failures; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      'waits 100 minutes after three failures',
      { failure: failed(3, 99) },
      backoff(
        '2026-03-10T12:01:00Z',
        `backing off until 2026-03-10T12:01Z after 3 consecutive failures; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      'waits a day after 1000 failures',
      { failure: failed(1000, 60) },
      backoff(
        '2026-03-11T11:00:00Z',
        `backing off until 2026-03-11T11:00Z after 1000 consecutive failures; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      'renews a day after 1000 failures',
      { failure: failed(1000, 24 * 60) },
      { due: true, reason: 'lifetime', detail: LIFETIME_DUE },
    ],
    ['ignores zero failures', { failure: failed(0, 0) }, { due: true, reason: 'lifetime', detail: LIFETIME_DUE }],
    [
      'ignores a NaN failure count (hostile)',
      { failure: failed(Number.NaN, 0) },
      { due: true, reason: 'lifetime', detail: LIFETIME_DUE },
    ],
    [
      'ignores an unreadable failure time until the next failure',
      { failure: failed(4, 0, { lastFailureAt: new Date('garbage') }) },
      { due: true, reason: 'lifetime', detail: LIFETIME_DUE },
    ],
    [
      'counts a failure time in the future as now (clock skew)',
      { failure: failed(2, 0, { lastFailureAt: at('3000-01-01T00:00:00Z') }) },
      backoff(
        '2026-03-10T12:10:00Z',
        `backing off until 2026-03-10T12:10Z after 2 consecutive failures; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      "honours the CA's Retry-After beyond the schedule",
      { failure: failed(1, 0, { retryAfter: at('2026-03-10T15:00:00Z') }) },
      backoff(
        '2026-03-10T15:00:00Z',
        `backing off until 2026-03-10T15:00Z after 1 failure; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      "caps the CA's Retry-After at one day after the failure (hostile)",
      { failure: failed(1, 0, { retryAfter: at('3000-01-01T00:00:00Z') }) },
      backoff(
        '2026-03-11T12:00:00Z',
        `backing off until 2026-03-11T12:00Z after 1 failure; ${lastError}; then: ${LIFETIME_DUE}`,
      ),
    ],
    [
      'caps the backoff at 1 hour in an emergency',
      { failure: failed(1000, 30, {}, EMERGENCY_NOW), now: EMERGENCY_NOW },
      {
        due: false,
        reason: 'backoff',
        notBefore: at('2026-03-31T00:30:00Z'),
        detail: `backing off until 2026-03-31T00:30Z after 1000 consecutive failures (capped at 1 hour in an emergency); ${lastError}; then: less than 1/20 of the 90-day lifetime left: expires 2026-04-01T00:00Z`,
      },
    ],
    [
      'renews an hour after a failure in an emergency',
      { failure: failed(1000, 60, {}, EMERGENCY_NOW), now: EMERGENCY_NOW },
      {
        due: true,
        reason: 'emergency',
        detail: 'less than 1/20 of the 90-day lifetime left: expires 2026-04-01T00:00Z',
      },
    ],
    [
      'reports backoff when it ends after the next due time',
      { failure: failed(4, 0, {}, at('2026-03-01T23:00:00Z')), now: at('2026-03-01T23:00:00Z') },
      backoff(
        '2026-03-02T23:00:00Z',
        `backing off until 2026-03-02T23:00Z after 4 consecutive failures; ${lastError}; then: one third of the 90-day lifetime left on 2026-03-02T00:00Z`,
      ),
    ],
    [
      'reports not-yet when the due time comes after the backoff',
      { failure: failed(1, 0, {}, at('2026-02-01T00:00:00Z')), now: at('2026-02-01T00:00:00Z') },
      {
        due: false,
        reason: 'not-yet',
        notBefore: at('2026-03-02T00:00:00Z'),
        detail: 'one third of the 90-day lifetime left on 2026-03-02T00:00Z',
      },
    ],
  ])('shouldRenew() %s', (_label, overrides, expected) => {
    expect(shouldRenew(input(overrides))).toEqual(expected);
  });
});

describe('backoffUntil()', () => {
  test.each<[string, FailureState | undefined, boolean, Date | undefined]>([
    ['no failure state', undefined, false, undefined],
    ['3 failures', failed(3, 0), false, new Date(NOW.getTime() + 100 * MIN)],
    ['3 failures in an emergency (100 min capped to 60)', failed(3, 0), true, new Date(NOW.getTime() + 60 * MIN)],
    ['1 failure in an emergency (1 min is under the cap)', failed(1, 0), true, new Date(NOW.getTime() + MIN)],
  ])('backoffUntil() for %s', (_label, failure, emergency, expected) => {
    expect(backoffUntil(failure, { now: NOW, emergency })).toEqual(expected);
  });
});
