import { DEFAULT_POLL_POLICY, nextPollStep, parseRetryAfter, type PollPolicy, type PollStep } from '../../../src/acme';

const policy: PollPolicy = {
  initialDelayMs: 25,
  maxDelayMs: 5_000,
  timeoutMs: 120_000,
  retryAfterCapMs: 30_000,
  errorDelayMs: 250,
  maxPolls: 30,
};
const wait = (delayMs: number): PollStep => ({ kind: 'wait', delayMs });

describe('nextPollStep()', () => {
  test.each<[string, number, number, number | undefined, boolean, PollStep]>([
    ['first re-poll waits initialDelayMs', 0, 0, undefined, false, wait(25)],
    ['second re-poll doubles', 1, 25, undefined, false, wait(50)],
    ['backoff keeps doubling', 7, 6_000, undefined, false, wait(3_200)],
    ['backoff is capped at maxDelayMs', 8, 6_400, undefined, false, wait(5_000)],
    ['a huge attempt stays at maxDelayMs', 29, 100_000, undefined, false, wait(5_000)],
    ['a negative attempt counts as the first', -3, 0, undefined, false, wait(25)],
    ['a NaN attempt counts as the first', NaN, 0, undefined, false, wait(25)],
    ['a transient failure waits at least errorDelayMs', 0, 0, undefined, true, wait(250)],
    ['a transient failure late in the loop keeps the backoff', 8, 6_400, undefined, true, wait(5_000)],
    ['the last wait is shortened to the time left', 3, 119_990, undefined, false, wait(10)],
    ['Retry-After is waited out exactly', 0, 0, 3_000, false, wait(3_000)],
    ['Retry-After wins over a longer backoff', 9, 10_000, 1_000, false, wait(1_000)],
    ['Retry-After after a failure is waited out exactly', 0, 0, 2_000, true, wait(2_000)],
    ['Retry-After: 0 is raised to initialDelayMs (no spinning)', 0, 0, 0, false, wait(25)],
    ['a fractional Retry-After is rounded up', 0, 0, 100.4, false, wait(101)],
    ['Retry-After equal to the cap is waited out', 0, 0, 30_000, false, wait(30_000)],
    [
      'Retry-After above the cap stops (never polls early)',
      0,
      0,
      30_001,
      false,
      { kind: 'stop', reason: 'retry-after', retryAfterMs: 30_001 },
    ],
    [
      'a huge Retry-After (a day) stops',
      2,
      100,
      86_400_000,
      true,
      { kind: 'stop', reason: 'retry-after', retryAfterMs: 86_400_000 },
    ],
    [
      'Retry-After longer than the time left stops',
      4,
      115_000,
      6_000,
      false,
      { kind: 'stop', reason: 'retry-after', retryAfterMs: 6_000 },
    ],
    ['a negative Retry-After counts as absent', 2, 100, -5_000, false, wait(100)],
    ['a NaN Retry-After counts as absent', 2, 100, NaN, false, wait(100)],
    ['an infinite Retry-After counts as absent', 2, 100, Infinity, false, wait(100)],
    ['stops after maxPolls re-polls', 30, 60_000, undefined, false, { kind: 'stop', reason: 'max-polls' }],
    ['maxPolls wins over a Retry-After', 30, 60_000, 1_000, false, { kind: 'stop', reason: 'max-polls' }],
    ['stops at the deadline', 5, 120_000, undefined, false, { kind: 'stop', reason: 'timeout' }],
    ['stops past the deadline', 5, 500_000, 1_000, true, { kind: 'stop', reason: 'timeout' }],
  ])('nextPollStep(): %s', (_name, attempt, elapsedMs, retryAfterMs, afterError, expected) => {
    expect(nextPollStep({ attempt, elapsedMs, retryAfterMs, afterError }, policy)).toEqual(expected);
  });

  // Retry-After as the CA sends it: parsed by parseRetryAfter(), then scheduled.
  const now = new Date('2025-10-21T07:28:00.000Z');
  test.each<[string, string, PollStep]>([
    ['delay-seconds', '2', wait(2_000)],
    ['an HTTP-date 5 s ahead', 'Tue, 21 Oct 2025 07:28:05 GMT', wait(5_000)],
    ['an HTTP-date in the past (raised to initialDelayMs)', 'Mon, 20 Oct 2025 07:28:00 GMT', wait(25)],
    [
      'an HTTP-date a year ahead',
      'Wed, 21 Oct 2026 07:28:00 GMT',
      { kind: 'stop', reason: 'retry-after', retryAfterMs: 31_536_000_000 },
    ],
    [
      'the largest delay-seconds accepted',
      '999999999999',
      { kind: 'stop', reason: 'retry-after', retryAfterMs: 999_999_999_999_000 },
    ],
    ['negative seconds (ignored: backoff)', '-5', wait(50)],
    ['garbage (ignored: backoff)', 'soon', wait(50)],
    ['a lenient date (ignored: backoff)', '5 May 2030', wait(50)],
    ['a header injection attempt (ignored: backoff)', '5\r\nSet-Cookie: x=1', wait(50)],
  ])('nextPollStep() with Retry-After %s', (_name, header, expected) => {
    const retryAfterMs = parseRetryAfter(header, now);
    expect(nextPollStep({ attempt: 1, elapsedMs: 25, retryAfterMs, afterError: false }, policy)).toEqual(expected);
  });

  test('nextPollStep() treats a maxDelayMs below initialDelayMs as initialDelayMs', () => {
    expect(
      nextPollStep(
        { attempt: 3, elapsedMs: 0, retryAfterMs: undefined, afterError: false },
        { ...policy, maxDelayMs: 10 },
      ),
    ).toEqual(wait(25));
  });

  test('DEFAULT_POLL_POLICY without Retry-After: 30 re-polls at most, the first after 25 ms, all within the timeout', () => {
    const delays: number[] = [];
    let elapsedMs = 0;
    let step: PollStep = nextPollStep(
      { attempt: 0, elapsedMs, retryAfterMs: undefined, afterError: false },
      DEFAULT_POLL_POLICY,
    );
    while (step.kind === 'wait' && delays.length < 100) {
      delays.push(step.delayMs);
      elapsedMs += step.delayMs;
      step = nextPollStep(
        { attempt: delays.length, elapsedMs, retryAfterMs: undefined, afterError: false },
        DEFAULT_POLL_POLICY,
      );
    }
    expect(step).toEqual({ kind: 'stop', reason: 'max-polls' });
    expect(delays.slice(0, 9)).toEqual([25, 50, 100, 200, 400, 800, 1_600, 3_200, 5_000]);
    expect([delays.length, elapsedMs]).toEqual([30, 116_375]);
  });

  test('DEFAULT_POLL_POLICY has the documented values', () => {
    expect(DEFAULT_POLL_POLICY).toEqual(policy);
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
