import { DEFAULT_POLL_POLICY, nextPollDelay, parseRetryAfter, type PollPolicy } from '../../../src/acme';

const policy: PollPolicy = { initialDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 120_000, retryAfterCapMs: 30_000 };

describe('nextPollDelay()', () => {
  test.each<[string, number, number | undefined, number]>([
    ['first re-poll waits initialDelayMs', 0, undefined, 250],
    ['second re-poll doubles', 1, undefined, 500],
    ['fourth re-poll', 3, undefined, 2_000],
    ['caps at maxDelayMs', 5, undefined, 5_000],
    ['a huge attempt stays at the cap', 10_000, undefined, 5_000],
    ['a fractional attempt is floored', 1.9, undefined, 500],
    ['a negative attempt counts as the first', -3, undefined, 250],
    ['NaN attempt counts as the first', Number.NaN, undefined, 250],
    ['Infinity attempt counts as the first', Number.POSITIVE_INFINITY, undefined, 250],
    ['Retry-After replaces the backoff', 0, 3_000, 3_000],
    ['Retry-After may exceed maxDelayMs', 0, 20_000, 20_000],
    ['Retry-After is capped at retryAfterCapMs', 4, 3_600_000, 30_000],
    ['Retry-After: 0 cannot make us spin', 0, 0, 250],
    ['Retry-After below initialDelayMs is raised', 2, 100, 250],
    ['negative Retry-After is ignored', 1, -5, 500],
    ['NaN Retry-After is ignored', 1, Number.NaN, 500],
    ['Infinite Retry-After is ignored', 1, Number.POSITIVE_INFINITY, 500],
  ])('nextPollDelay(): %s', (_name, attempt, retryAfterMs, expected) => {
    expect(nextPollDelay(attempt, retryAfterMs, policy)).toBe(expected);
  });

  test('nextPollDelay() never exceeds maxDelayMs over a long poll', () => {
    const delays = Array.from({ length: 8 }, (_, attempt) => nextPollDelay(attempt, undefined, policy));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  test('nextPollDelay() treats a maxDelayMs below initialDelayMs as initialDelayMs', () => {
    expect(nextPollDelay(3, undefined, { ...policy, maxDelayMs: 10 })).toBe(250);
  });

  test('DEFAULT_POLL_POLICY re-polls first after at most 250 ms', () => {
    expect(DEFAULT_POLL_POLICY).toEqual({
      initialDelayMs: 250,
      maxDelayMs: 5_000,
      timeoutMs: 120_000,
      retryAfterCapMs: 30_000,
    });
  });
});

describe('parseRetryAfter()', () => {
  const now = new Date('2025-10-21T07:28:00.000Z');

  test.each<[string, string, number]>([
    ['delay-seconds', '120', 120_000],
    ['zero seconds', '0', 0],
    ['delay-seconds with surrounding whitespace', '  7 ', 7_000],
    ['an IMF-fixdate in the future', 'Tue, 21 Oct 2025 07:28:30 GMT', 30_000],
    ['an IMF-fixdate equal to now as 0', 'Tue, 21 Oct 2025 07:28:00 GMT', 0],
    ['an IMF-fixdate in the past as 0', 'Mon, 20 Oct 2025 07:28:00 GMT', 0],
  ])('parseRetryAfter() reads %s', (_name, header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  test.each<[string, string | undefined]>([
    ['undefined', undefined],
    ['an empty header', ''],
    ['negative seconds', '-5'],
    ['fractional seconds', '1.5'],
    ['a list (two headers joined)', '5, 10'],
    ['hex', '0x10'],
    ['an exponent', '1e3'],
    ['more than 12 digits', '9999999999999'],
    ['a word', 'soon'],
    ['a lenient date that new Date() accepts', '5 May 2030'],
    ['an ISO date', '2030-01-01T00:00:00Z'],
    ['a wrong weekday', 'Wed, 21 Oct 2025 07:28:30 GMT'],
    ['an impossible day', 'Fri, 31 Feb 2025 00:00:00 GMT'],
    ['hour 25', 'Tue, 21 Oct 2025 25:00:00 GMT'],
    ['a non-GMT zone', 'Tue, 21 Oct 2025 07:28:30 PST'],
    ['the obsolete RFC 850 form', 'Tuesday, 21-Oct-25 07:28:30 GMT'],
    ['a header injection attempt', '5\r\nSet-Cookie: x=1'],
  ])('parseRetryAfter() rejects %s', (_name, header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  test('parseRetryAfter() rejects a non-string at runtime', () => {
    expect(parseRetryAfter(['5'] as unknown as string, now)).toBeUndefined();
  });
});
