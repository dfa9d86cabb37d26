import { parseRenewalInfo, renewalInfoUrl, type RenewalInfo } from '../../../src/acme/_renewalInfo';
import { AcmeError } from '../../../src/errors';

const URL_ = 'https://ca.test/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';
const WINDOW = { start: '2025-01-02T04:00:00Z', end: '2025-01-03T04:00:00Z' };
const PARSED_WINDOW = { start: new Date('2025-01-02T04:00:00Z'), end: new Date('2025-01-03T04:00:00Z') };

describe('renewalInfoUrl()', () => {
  test.each([
    [
      'https://ca.test/renewal-info',
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
      'https://ca.test/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    ],
    ['https://ca.test/renewal-info/', 'a-_0.b', 'https://ca.test/renewal-info/a-_0.b'],
    ['https://ca.test/ri//', 'A.B', 'https://ca.test/ri/A.B'],
  ])('renewalInfoUrl(%p, %p) is %p', (base, certId, expected) => {
    expect(renewalInfoUrl(base, certId)).toBe(expected);
  });

  test.each([
    ['', ''],
    ['no dot', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ'],
    ['two dots', 'a.b.c'],
    ['padding', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE='],
    ['standard base64', 'a+b/.AIdlQyE'],
    ['a path', '../../dir.x'],
    ['a query', 'a.b?x=1'],
    ['a newline', 'a.b\nc'],
    ['an empty half', '.AIdlQyE'],
    ['an overlong half', `${'A'.repeat(257)}.B`],
  ])('renewalInfoUrl() rejects a CertID with %s', (_name, certId) => {
    const message = `Cannot fetch the renewal information for "${certId.replace(/\n/g, ' ')}": a CertID is two base64url parts joined by "." (RFC 9773 §4.1)`;
    expect(() => renewalInfoUrl('https://ca.test/ri', certId)).toThrow(AcmeError);
    expect(() => renewalInfoUrl('https://ca.test/ri', certId)).toThrow(message);
  });
});

describe('parseRenewalInfo()', () => {
  test.each<[string, unknown, number | undefined, RenewalInfo]>([
    [
      'the RFC 9773 example',
      { suggestedWindow: WINDOW, explanationURL: 'https://acme.example.com/docs/ari' },
      21_600_000,
      { window: PARSED_WINDOW, explanationUrl: 'https://acme.example.com/docs/ari', retryAfterMs: 21_600_000 },
    ],
    [
      'a body axios left as a string',
      JSON.stringify({ suggestedWindow: WINDOW }),
      undefined,
      { window: PARSED_WINDOW },
    ],
    [
      'February 29th of a leap year',
      { suggestedWindow: { start: '2028-02-29T00:00:00Z', end: '2028-03-01T00:00:00Z' } },
      undefined,
      { window: { start: new Date('2028-02-29T00:00:00Z'), end: new Date('2028-03-01T00:00:00Z') } },
    ],
    [
      'fractional seconds and offsets',
      { suggestedWindow: { start: '2025-01-02T05:00:00.5+01:00', end: '2025-01-03t04:00:00z' } },
      0,
      { window: { start: new Date('2025-01-02T04:00:00.500Z'), end: PARSED_WINDOW.end }, retryAfterMs: 0 },
    ],
    [
      'an explanationURL that is not http(s) (dropped)',
      { suggestedWindow: WINDOW, explanationURL: 'javascript:alert(1)' },
      undefined,
      { window: PARSED_WINDOW },
    ],
    [
      'an explanationURL that is not a URL (dropped)',
      { suggestedWindow: WINDOW, explanationURL: 'see the docs' },
      undefined,
      { window: PARSED_WINDOW },
    ],
    ['extra members (ignored)', { suggestedWindow: { ...WINDOW, x: 1 }, y: 2 }, undefined, { window: PARSED_WINDOW }],
  ])('parseRenewalInfo() reads %s', (_name, body, retryAfterMs, expected) => {
    expect(parseRenewalInfo(body, URL_, retryAfterMs)).toEqual(expected);
  });

  test.each<[string, unknown, string]>([
    ['invalid JSON text', '{"suggestedWindow":', 'the answer is not a JSON object'],
    ['JSON null', null, 'the answer is not a JSON object'],
    ['a JSON number', 42, 'the answer is not a JSON object'],
    ['no suggestedWindow', { window: WINDOW }, 'the answer has no "suggestedWindow" object'],
    ['a string window', { suggestedWindow: 'soon' }, 'the answer has no "suggestedWindow" object'],
    [
      'no start',
      { suggestedWindow: { end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time (undefined)',
    ],
    [
      'a numeric start',
      { suggestedWindow: { start: 1735790400, end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time (1735790400)',
    ],
    [
      'a date-only end',
      { suggestedWindow: { start: WINDOW.start, end: '2025-01-03' } },
      '"suggestedWindow.end" is not an RFC 3339 date-time ("2025-01-03")',
    ],
    [
      'an impossible date',
      { suggestedWindow: { start: '2025-13-45T99:00:00Z', end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time ("2025-13-45T99:00:00Z")',
    ],
    [
      'February 31st',
      { suggestedWindow: { start: WINDOW.start, end: '2025-02-31T00:00:00Z' } },
      '"suggestedWindow.end" is not an RFC 3339 date-time ("2025-02-31T00:00:00Z")',
    ],
    [
      'hour 24',
      { suggestedWindow: { start: '2025-01-02T24:00:00Z', end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time ("2025-01-02T24:00:00Z")',
    ],
    [
      'a leap second',
      { suggestedWindow: { start: '2025-01-02T23:59:60Z', end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time ("2025-01-02T23:59:60Z")',
    ],
    [
      'a lenient Date string',
      { suggestedWindow: { start: 'Jan 2 2025', end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time ("Jan 2 2025")',
    ],
    [
      'a newline in a date',
      { suggestedWindow: { start: '2025-01-02T04:00:00Z\n', end: WINDOW.end } },
      '"suggestedWindow.start" is not an RFC 3339 date-time ("2025-01-02T04:00:00Z\\n")',
    ],
    [
      'end before start',
      { suggestedWindow: { start: WINDOW.end, end: WINDOW.start } },
      'the window ends ("2025-01-02T04:00:00.000Z") before or when it starts ("2025-01-03T04:00:00.000Z")',
    ],
    [
      'end equal to start',
      { suggestedWindow: { start: WINDOW.start, end: '2025-01-02T05:00:00+01:00' } },
      'the window ends ("2025-01-02T04:00:00.000Z") before or when it starts ("2025-01-02T04:00:00.000Z")',
    ],
  ])('parseRenewalInfo() rejects %s as a retryable ACME_PROBLEM naming the URL', (_name, body, detail) => {
    let error: unknown;
    try {
      parseRenewalInfo(body, URL_, 60_000);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(AcmeError);
    const { code, retryable, retryAfterMs, message } = error as AcmeError;
    expect({ code, retryable, retryAfterMs, message }).toEqual({
      code: 'ACME_PROBLEM',
      retryable: true,
      retryAfterMs: 60_000,
      message: `Cannot read the renewal information at "${URL_}": ${detail}`,
    });
  });
});
