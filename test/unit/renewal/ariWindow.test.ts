import {
  ariRetryAfterMs,
  ariWindowProblem,
  chooseInWindow,
  isAriWindowUsable,
  planAriWindow,
  shouldRefreshAri,
  type AriWindow,
} from '../../../src/renewal';

const at = (iso: string): Date => new Date(iso);
const BAD = new Date('not a date');
const MIN = 60_000;
const HOUR = 60 * MIN;
const WINDOW = { start: at('2026-12-01T00:00:00Z'), end: at('2026-12-03T00:00:00Z') };
const STORED: AriWindow = { ...WINDOW, chosenAt: at('2026-12-02T04:11:00Z'), retryAfter: at('2026-11-20T06:00:00Z') };
// The RFC 9773 §4.2 response shape, with this test's window.
const RESPONSE = { suggestedWindow: { start: '2026-12-01T00:00:00Z', end: '2026-12-03T00:00:00Z' } };
const NOW = at('2026-11-20T00:00:00Z');

describe('chooseInWindow()', () => {
  test.each<[number, string]>([
    [0, '2026-12-01T00:00:00.000Z'],
    [0.5, '2026-12-02T00:00:00.000Z'],
    [0.25, '2026-12-01T12:00:00.000Z'],
    [0.9999999999, '2026-12-02T23:59:59.999Z'],
  ])('chooseInWindow() maps random01 %p to %s', (random01, expected) => {
    expect(chooseInWindow(WINDOW, random01).toISOString()).toBe(expected);
  });

  test.each<[string, { start: Date; end: Date }, number, string]>([
    ['random01 = 1', WINDOW, 1, 'Cannot choose a time in the ARI window: "random01" must be in [0, 1), got "1"'],
    [
      'a negative random01',
      WINDOW,
      -0.1,
      'Cannot choose a time in the ARI window: "random01" must be in [0, 1), got "-0.1"',
    ],
    [
      'a NaN random01',
      WINDOW,
      Number.NaN,
      'Cannot choose a time in the ARI window: "random01" must be in [0, 1), got "NaN"',
    ],
    [
      'an end before the start',
      { start: WINDOW.end, end: WINDOW.start },
      0.5,
      'Cannot choose a time in the ARI window: its end 2026-12-01T00:00Z is not after its start 2026-12-03T00:00Z',
    ],
    [
      'an empty window',
      { start: WINDOW.start, end: WINDOW.start },
      0.5,
      'Cannot choose a time in the ARI window: its end 2026-12-01T00:00Z is not after its start 2026-12-01T00:00Z',
    ],
    [
      'an unparsable end',
      { start: WINDOW.start, end: BAD },
      0.5,
      'Cannot choose a time in the ARI window: its end is not a valid date',
    ],
  ])('chooseInWindow() rejects %s', (_label, window, random01, message) => {
    expect(() => chooseInWindow(window, random01)).toThrow(new RangeError(message));
  });
});

describe('ariWindowProblem() and isAriWindowUsable()', () => {
  test.each<[string, AriWindow, string | undefined]>([
    ['a good window', STORED, undefined],
    ['a chosen time at the end', { ...STORED, chosenAt: WINDOW.end }, undefined],
    [
      'a window far in the past',
      {
        start: at('2020-01-01T00:00:00Z'),
        end: at('2020-01-02T00:00:00Z'),
        chosenAt: at('2020-01-01T00:00:00Z'),
        retryAfter: BAD,
      },
      undefined,
    ],
    ['an unparsable start', { ...STORED, start: BAD }, 'its start is not a valid date'],
    [
      'an end equal to the start',
      { ...STORED, end: WINDOW.start },
      'its end 2026-12-01T00:00Z is not after its start 2026-12-01T00:00Z',
    ],
    ['an unparsable chosen time', { ...STORED, chosenAt: BAD }, 'its chosen time is not a valid date'],
    [
      'a chosen time after the window',
      { ...STORED, chosenAt: at('2026-12-03T00:00:00.001Z') },
      'its chosen time 2026-12-03T00:00Z is outside it',
    ],
  ])('ariWindowProblem() for %s', (_label, ari, expected) => {
    expect(ariWindowProblem(ari)).toBe(expected);
    expect(isAriWindowUsable(ari)).toBe(expected === undefined);
  });
});

describe('shouldRefreshAri()', () => {
  const notAfter = at('2027-01-01T00:00:00Z');
  test.each<[string, AriWindow | undefined, Date, Date, boolean]>([
    ['no window yet', undefined, NOW, notAfter, true],
    ['before Retry-After', STORED, NOW, notAfter, false],
    ['at Retry-After', STORED, STORED.retryAfter, notAfter, true],
    ['an unreadable Retry-After', { ...STORED, retryAfter: BAD }, NOW, notAfter, true],
    ['an expired certificate (RFC 9773 §4.3 MUST NOT)', undefined, notAfter, notAfter, false],
  ])('shouldRefreshAri() for %s', (_label, ari, now, certNotAfter, expected) => {
    expect(shouldRefreshAri(ari, { now, notAfter: certNotAfter })).toBe(expected);
  });
});

describe('ariRetryAfterMs()', () => {
  test.each<[number | undefined, number]>([
    [21_600_000, 6 * HOUR],
    [0, MIN],
    [59_999, MIN],
    [7 * 24 * HOUR, 24 * HOUR],
    [undefined, 6 * HOUR],
    [-1, 6 * HOUR],
    [Number.NaN, 6 * HOUR],
    [Number.POSITIVE_INFINITY, 6 * HOUR],
  ])('ariRetryAfterMs(%p) is %p', (retryAfterMs, expected) => {
    expect(ariRetryAfterMs(retryAfterMs)).toBe(expected);
  });
});

describe('planAriWindow()', () => {
  test('planAriWindow() chooses a time and stores the clamped Retry-After', () => {
    expect(
      planAriWindow(
        { ...RESPONSE, explanationURL: 'https://acme.example/docs/ari' },
        { now: NOW, random01: 0.5, retryAfterMs: 30_000 },
      ),
    ).toEqual({
      ...WINDOW,
      chosenAt: at('2026-12-02T00:00:00Z'),
      retryAfter: at('2026-11-20T00:01:00Z'),
      explanationUrl: 'https://acme.example/docs/ari',
    });
  });

  test('planAriWindow() keeps the chosen time when the CA suggests the same window', () => {
    expect(planAriWindow(RESPONSE, { now: NOW, random01: 0, previous: STORED })).toEqual({
      ...WINDOW,
      chosenAt: STORED.chosenAt,
      retryAfter: at('2026-11-20T06:00:00Z'),
    });
  });

  test('planAriWindow() chooses again when the window moved', () => {
    const moved = { suggestedWindow: { start: '2026-11-21T00:00:00Z', end: '2026-11-22T00:00:00Z' } };
    expect(planAriWindow(moved, { now: NOW, random01: 0, previous: STORED })?.chosenAt).toEqual(
      at('2026-11-21T00:00:00Z'),
    );
  });

  test.each<[string, { start: string; end: string }]>([
    ['an end before the start', { start: '2026-12-03T00:00:00Z', end: '2026-12-01T00:00:00Z' }],
    ['an end equal to the start', { start: '2026-12-01T00:00:00Z', end: '2026-12-01T00:00:00Z' }],
    ['unparsable timestamps', { start: 'soon', end: 'later' }],
  ])('planAriWindow() treats %s as no response', (_label, suggestedWindow) => {
    expect(planAriWindow({ suggestedWindow }, { now: NOW, random01: 0.5 })).toBeUndefined();
  });
});
