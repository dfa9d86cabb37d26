import { AcmeError, StorageError } from '../../../src/errors';
import { failureFacts, retryAfterOf } from '../../../src/issuance/_failure';

const AT = new Date('2026-11-27T10:00:00.000Z');
const rateLimited = (retryAfterMs: number | undefined): AcmeError =>
  new AcmeError('ACME_RATE_LIMITED', 'Cannot create an order: rate limited', { retryAfterMs });

describe('retryAfterOf()', () => {
  test.each<[string, unknown, string | undefined]>([
    ['a rateLimited AcmeError with Retry-After', rateLimited(120_000), '2026-11-27T10:02:00.000Z'],
    [
      'the AcmeError as the cause of another error',
      new StorageError('STORAGE_IO', 'Cannot renew', { path: '/x', cause: rateLimited(3_600_000) }),
      '2026-11-27T11:00:00.000Z',
    ],
    ['an AcmeError without Retry-After', rateLimited(undefined), undefined],
    ['a zero Retry-After', rateLimited(0), undefined],
    ['a negative Retry-After (hostile)', rateLimited(-5), undefined],
    ['an unrelated error', new StorageError('STORAGE_IO', 'Cannot write "/x": EIO', { path: '/x' }), undefined],
    ['a thrown string', 'boom', undefined],
    ['undefined', undefined, undefined],
  ])('retryAfterOf() reads %s', (_label, error, expected) => {
    expect(retryAfterOf(error, AT)?.toISOString()).toBe(expected);
  });

  test('retryAfterOf() stops after 8 causes (a cyclic cause chain cannot loop)', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(retryAfterOf(a, AT)).toBeUndefined();
  });
});

describe('failureFacts()', () => {
  test.each<[string, Parameters<typeof failureFacts>[0], ReturnType<typeof failureFacts>]>([
    ['no failure', undefined, undefined],
    [
      'a failure without Retry-After',
      {
        failures: 2,
        lastFailureAt: '2026-11-27T09:00:00.000Z',
        lastError: 'boom',
        nextAttemptAt: '2026-11-27T09:10:00.000Z',
      },
      { failures: 2, lastFailureAt: new Date('2026-11-27T09:00:00.000Z'), lastError: 'boom' },
    ],
    [
      "a failure with the CA's Retry-After",
      {
        failures: 1,
        lastFailureAt: '2026-11-27T09:00:00.000Z',
        lastError: 'rate limited',
        nextAttemptAt: '2026-11-27T12:00:00.000Z',
        retryAfter: '2026-11-27T12:00:00.000Z',
      },
      {
        failures: 1,
        lastFailureAt: new Date('2026-11-27T09:00:00.000Z'),
        lastError: 'rate limited',
        retryAfter: new Date('2026-11-27T12:00:00.000Z'),
      },
    ],
  ])('failureFacts() converts %s', (_label, stored, expected) => {
    expect(failureFacts(stored)).toEqual(expected);
  });
});
