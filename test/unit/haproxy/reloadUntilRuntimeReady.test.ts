import { HaproxyError } from '../../../src/errors';
import { reloadUntilRuntimeReady, type MasterClient, type RuntimeClient } from '../../../src/haproxy';

/** Stand-ins for the two clients: the master reloads to worker 42; the runtime socket answers as `answers` says, in turn. */
function clients(
  answers: Array<string | Error>,
  workers = [
    { pid: 42, reloads: 0 },
    { pid: 41, reloads: 1 },
  ],
) {
  const calls: string[] = [];
  const master = {
    reload: async () => void calls.push('reload'),
    showProc: async () => ({ master: { pid: 1, reloads: 1, failed: 0 }, workers }),
  } as unknown as MasterClient;
  let next = 0;
  const runtime = {
    where: 'unix@/run/admin.sock',
    showInfo: async () => {
      const answer = answers[Math.min(next, answers.length - 1)] as string | Error;
      next += 1;
      calls.push(`show info -> ${answer instanceof Error ? 'error' : answer}`);
      if (answer instanceof Error) throw answer;
      return { version: '2.6.12', fields: { Pid: answer } };
    },
  } as unknown as RuntimeClient;
  return { master, runtime, calls };
}

describe('reloadUntilRuntimeReady()', () => {
  test.each<[string, Array<string | Error>, string[]]>([
    ['the new worker answers at once', ['42'], ['reload', 'show info -> 42']],
    [
      'the stopping worker answers first',
      ['41', '41', '42'],
      ['reload', 'show info -> 41', 'show info -> 41', 'show info -> 42'],
    ],
    [
      'the socket closes first',
      [new HaproxyError('closed', { command: 'show info', endpoint: 'unix@/run/admin.sock' }), '42'],
      ['reload', 'show info -> error', 'show info -> 42'],
    ],
  ])('reloadUntilRuntimeReady() returns once %s', async (_what, answers, calls) => {
    const c = clients(answers);
    await reloadUntilRuntimeReady(c.master, c.runtime, { intervalMs: 1 });
    expect(c.calls).toEqual(calls);
  });

  test('reloadUntilRuntimeReady() gives up after its attempts with a retryable error naming who answered', async () => {
    const c = clients(['41']);
    await expect(reloadUntilRuntimeReady(c.master, c.runtime, { attempts: 3, intervalMs: 1 })).rejects.toThrow(
      expect.objectContaining({
        retryable: true,
        message:
          'HAProxy reloaded, but its runtime socket "unix@/run/admin.sock" was not answered by the new worker within 3 ms (answered by pid 41, not the new worker 42)',
      }),
    );
    expect(c.calls.length).toBe(4);
  });

  test('reloadUntilRuntimeReady() rethrows what is not a HaproxyError', async () => {
    const c = clients([new TypeError('bug')]);
    await expect(reloadUntilRuntimeReady(c.master, c.runtime, { intervalMs: 1 })).rejects.toThrow(TypeError);
  });
});
