import type { CapturedProblem } from '../../../src/acme';
import { isReplacesRejection } from '../../../src/acme/_order';

const ERR = 'urn:ietf:params:acme:error:';

describe('isReplacesRejection()', () => {
  test.each<[string, CapturedProblem | undefined, boolean]>([
    ['RFC 9773 alreadyReplaced', { type: `${ERR}alreadyReplaced`, detail: 'already replaced', status: 409 }, true],
    [
      "Boulder's conflict",
      { type: `${ERR}conflict`, detail: 'which already has a replacement order', status: 409 },
      true,
    ],
    ['a bare HTTP 409', { detail: 'conflict', status: 409 }, true],
    [
      'malformed naming replaces',
      { type: `${ERR}malformed`, detail: 'Invalid "replaces" field: unknown certificate', status: 400 },
      true,
    ],
    [
      'malformed naming Replaces in another case',
      { type: `${ERR}malformed`, detail: 'REPLACES must be a CertID', status: 400 },
      true,
    ],
    [
      'malformed about something else',
      { type: `${ERR}malformed`, detail: 'Order included malformed identifier', status: 400 },
      false,
    ],
    [
      'malformed with "replaces" inside a longer word',
      { type: `${ERR}malformed`, detail: 'field xreplacesx is odd', status: 400 },
      false,
    ],
    ['malformed without detail', { type: `${ERR}malformed`, status: 400 }, false],
    ['a rate limit', { type: `${ERR}rateLimited`, detail: 'replaces too often', status: 429 }, false],
    [
      'unauthorized naming replaces',
      { type: `${ERR}unauthorized`, detail: 'replaces a certificate of another account', status: 403 },
      false,
    ],
    [
      "pebble 2.7's serverInternal for a CertID it cannot look up",
      { type: `${ERR}serverInternal`, detail: 'could not find an order for the given certificate', status: 500 },
      true,
    ],
    ['serverInternal without detail', { type: `${ERR}serverInternal`, status: 500 }, true],
    ['a bare HTTP 500', { detail: 'Internal Server Error', status: 500 }, false],
    [
      'HTTP 503, which asks to come back later',
      { type: `${ERR}serverInternal`, detail: 'maintenance', status: 503 },
      false,
    ],
    ['no problem document (network error)', undefined, false],
  ])('isReplacesRejection() for %s is %p', (_name, problem, expected) => {
    expect(isReplacesRejection(problem)).toBe(expected);
  });
});
