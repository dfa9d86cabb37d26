import { AcmeHttpError, type PollWaitInfo } from '../../../src/acme';
import { DEFAULT_POLL_POLICY } from '../../../src/acme';
import type { OperationContext } from '../../../src/acme/_transport';
import { pollWhile } from '../../../src/acme/_wait';
import { AcmeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';

/** A context whose sleep advances a fake clock, so the poll loop runs instantly. */
function fakeContext(
  timeoutMs = DEFAULT_POLL_POLICY.timeoutMs,
  signal?: AbortSignal,
): { context: OperationContext; slept: number[] } {
  let nowMs = Date.parse('2025-01-01T00:00:00Z');
  const slept: number[] = [];
  const context: OperationContext = {
    step: 'validate "a.test" over HTTP-01',
    settings: {
      requestTimeoutMs: 30_000,
      httpsAgent: undefined,
      logger: new CapturingLogger(),
      clock: { now: () => new Date(nowMs) },
      sleep: async (ms) => {
        slept.push(ms);
        nowMs += ms;
      },
      poll: { ...DEFAULT_POLL_POLICY, timeoutMs },
    },
    signal,
    lastRetryAfterMs: undefined,
    newAccountUrl: undefined,
  };
  return { context, slept };
}

type Step = { status: string; retryAfterMs?: number } | Error;

/** fetch() that plays `steps` in order, setting the context's Retry-After like the transport does. */
function script(context: OperationContext, steps: Step[]): () => Promise<{ status: string }> {
  let index = 0;
  return async () => {
    const step = steps[Math.min(index, steps.length - 1)]!;
    index += 1;
    if (step instanceof Error) throw step;
    context.lastRetryAfterMs = step.retryAfterMs;
    return { status: step.status };
  };
}

const refused = (): AcmeHttpError =>
  new AcmeHttpError({
    kind: 'network',
    url: 'https://ca.test/authz/1',
    code: 'ECONNREFUSED',
    reason: 'connect ECONNREFUSED 127.0.0.1:1',
  });

describe('pollWhile()', () => {
  test.each<[string, Step[], string, number[]]>([
    ['returns at once when the first poll is done', [{ status: 'valid' }], 'valid', []],
    [
      'backs off 25, 50, 100 ms',
      [{ status: 'pending' }, { status: 'pending' }, { status: 'pending' }, { status: 'valid' }],
      'valid',
      [25, 50, 100],
    ],
    [
      'returns a failed status for the caller to judge',
      [{ status: 'pending' }, { status: 'invalid' }],
      'invalid',
      [25],
    ],
    [
      'waits out Retry-After in full',
      [{ status: 'pending', retryAfterMs: 3_000 }, { status: 'pending', retryAfterMs: 30_000 }, { status: 'valid' }],
      'valid',
      [3_000, 30_000],
    ],
    [
      'keeps polling through a transient network failure',
      [{ status: 'pending' }, refused(), { status: 'valid' }],
      'valid',
      [25, 250],
    ],
  ])('pollWhile() %s', async (_name, steps, status, delays) => {
    const { context, slept } = fakeContext();
    const item = await pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, steps),
      onWait: undefined,
    });
    expect([item.status, slept]).toEqual([status, delays]);
  });

  test('pollWhile() reports each wait to onWait before sleeping', async () => {
    const { context } = fakeContext();
    const seen: PollWaitInfo[] = [];
    await pollWhile(context, {
      resource: 'order',
      domain: 'a.test, b.test',
      waiting: ['processing'],
      fetch: script(context, [{ status: 'processing' }, refused(), { status: 'valid' }]),
      onWait: (info) => seen.push(info),
    });
    expect(seen).toEqual([
      { resource: 'order', domain: 'a.test, b.test', attempt: 1, status: 'processing', delayMs: 25 },
      { resource: 'order', domain: 'a.test, b.test', attempt: 2, status: 'error', delayMs: 250 },
    ]);
  });

  test('pollWhile() gives up with ACME_TIMEOUT after timeoutMs in total', async () => {
    const { context, slept } = fakeContext(2_000);
    const failure = pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, [{ status: 'pending' }]),
      onWait: undefined,
    });
    await expect(failure).rejects.toMatchObject({
      code: 'ACME_TIMEOUT',
      retryable: true,
      message: 'Cannot validate "a.test" over HTTP-01: still "pending" after 2000 ms',
    });
    // 25 + 50 + … + 800 = 1575, then only the 425 ms left of the budget.
    expect(slept).toEqual([25, 50, 100, 200, 400, 800, 425]);
  });

  test('pollWhile() reports the real cause when the CA stays unreachable until the deadline', async () => {
    const { context } = fakeContext(1_000);
    const failure = pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, [refused()]),
      onWait: undefined,
    });
    await expect(failure).rejects.toMatchObject({
      code: 'ACME_NETWORK',
      message:
        'Cannot reach "https://ca.test/authz/1" to validate "a.test" over HTTP-01: ECONNREFUSED (connection refused); check the directory URL and that the ACME server is reachable',
    });
  });

  const rateLimited = (retryAfterMs: number): AcmeError =>
    new AcmeError('ACME_RATE_LIMITED', 'Cannot validate "a.test" over HTTP-01: slow down', {
      retryable: true,
      retryAfterMs,
    });

  test('pollWhile() waits out a rate limit whose Retry-After is within the cap, then polls again', async () => {
    const { context, slept } = fakeContext();
    const steps: Step[] = [{ status: 'pending' }, rateLimited(3_000), { status: 'valid' }];
    const item = await pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, steps),
      onWait: undefined,
    });
    expect([item.status, slept]).toEqual(['valid', [25, 3_000]]);
  });

  test('pollWhile() gives up at once on a rate limit whose Retry-After is above the cap (never polls again after 30 s)', async () => {
    const { context, slept } = fakeContext();
    const limited = rateLimited(86_400_000);
    const steps: Step[] = [{ status: 'pending' }, limited, { status: 'valid' }];
    await expect(
      pollWhile(context, {
        resource: 'authorization',
        domain: 'a.test',
        waiting: ['pending'],
        fetch: script(context, steps),
        onWait: undefined,
      }),
    ).rejects.toBe(limited);
    expect(slept).toEqual([25]);
  });

  test('pollWhile() stops at the first non-retryable failure', async () => {
    const { context, slept } = fakeContext();
    const fatal = new AcmeError('ACME_PROBLEM', 'Cannot validate "a.test" over HTTP-01: Account not found');
    const failure = pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, [{ status: 'pending' }, fatal]),
      onWait: undefined,
    });
    await expect(failure).rejects.toBe(fatal);
    expect(slept).toEqual([25]);
  });

  test.each<[string, Step[], number, string, number[]]>([
    [
      'a Retry-After above the cap on a waiting status (never polls early)',
      [{ status: 'pending', retryAfterMs: 3_600_000 }],
      120_000,
      'Cannot validate "a.test" over HTTP-01: still "pending" and its Retry-After of 3600000 ms is longer than the 30000 ms this poll may still wait',
      [],
    ],
    [
      'a Retry-After longer than the time left',
      [{ status: 'pending' }, { status: 'processing', retryAfterMs: 5_000 }],
      2_000,
      'Cannot validate "a.test" over HTTP-01: still "processing" and its Retry-After of 5000 ms is longer than the 1975 ms this poll may still wait',
      [25],
    ],
  ])('pollWhile() gives up with ACME_TIMEOUT on %s', async (_name, steps, timeoutMs, message, delays) => {
    const { context, slept } = fakeContext(timeoutMs);
    const failure = pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending', 'processing'],
      fetch: script(context, steps),
      onWait: undefined,
    });
    await expect(failure).rejects.toMatchObject({ code: 'ACME_TIMEOUT', retryable: true, message });
    expect(slept).toEqual(delays);
  });

  test('pollWhile() gives up with ACME_TIMEOUT after maxPolls re-polls', async () => {
    const { context, slept } = fakeContext();
    context.settings.poll = { ...context.settings.poll, maxPolls: 3 };
    const failure = pollWhile(context, {
      resource: 'authorization',
      domain: 'a.test',
      waiting: ['pending'],
      fetch: script(context, [{ status: 'pending' }]),
      onWait: undefined,
    });
    await expect(failure).rejects.toMatchObject({
      code: 'ACME_TIMEOUT',
      message: 'Cannot validate "a.test" over HTTP-01: still "pending" after 3 polls in 175 ms',
    });
    expect(slept).toEqual([25, 50, 100]);
  });
});
