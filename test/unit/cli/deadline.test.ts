import { runCli, EXIT_FAILED, EXIT_OK } from '../../../src/cli';
import { deadlineMessage, describeTimeout } from '../../../src/cli/_deadline';
import { MemoryCertificateStore, MemoryLocalBundles, MemoryLocks } from '../../../src/storage';
import { cliHarness } from './_harness';

const RAISE = 'raise --timeout (ACME_TIMEOUT, snap option acme-timeout) if the CA is slow';

describe('deadlineMessage()', () => {
  test.each<[number, string | undefined, string]>([
    [
      1_800_000,
      'create an order for "a.test"',
      `Cannot finish within 30m (--timeout): it was still trying to create an order for "a.test"; ${RAISE}`,
    ],
    [
      2000,
      'register the ACME account',
      `Cannot finish within 2s (--timeout): it was still trying to register the ACME account; ${RAISE}`,
    ],
    [5_400_000, undefined, `Cannot finish within 90m (--timeout): it was still running; ${RAISE}`],
    [86_400_000, undefined, `Cannot finish within 24h (--timeout): it was still running; ${RAISE}`],
    [1500, undefined, `Cannot finish within 1500ms (--timeout): it was still running; ${RAISE}`],
  ])('deadlineMessage(%d, %j) is %j', (timeoutMs, step, message) => {
    expect(deadlineMessage(timeoutMs, step)).toBe(message);
  });

  test.each<[number, string]>([
    [1000, '1s'],
    [61_000, '61s'],
    [3_600_000, '1h'],
    [999, '999ms'],
  ])('describeTimeout(%d) is %j', (ms, text) => {
    expect(describeTimeout(ms)).toBe(text);
  });
});

/** Bundles whose reconcile() (the first thing a renewal does under the lock) never returns: a stuck command. */
function stuck(): { store: MemoryCertificateStore; bundles: MemoryLocalBundles } {
  const store = new MemoryCertificateStore({ home: '/srv/acme' });
  const bundles = new MemoryLocalBundles({ store, home: '/srv/acme' });
  bundles.reconcile = () => new Promise(() => undefined);
  return { store, bundles };
}

describe('runCli() under --timeout', () => {
  test.each<[string, string | undefined, string]>([
    ['names the step in flight', 'create an order for "a.test"', 'it was still trying to create an order for "a.test"'],
    ['says so when no step is known', undefined, 'it was still running'],
  ])(
    'a stuck "acme renew --timeout 1s" stops after 1 s, %s, releases the lock and exits 1',
    async (_name, step, doing) => {
      const locks = new MemoryLocks();
      const exits: number[] = [];
      const announced: number[] = [];
      const { deps, stderr, logs } = cliHarness(
        { ...stuck(), locks },
        {
          currentStep: () => step,
          exitNow: (code) => void exits.push(code),
          announceDeadline: (ms) => void announced.push(ms),
        },
      );
      const exitCode = await runCli(['renew', '--home', '/srv/acme', '--timeout', '1s'], deps);
      expect([exitCode, exits, announced, locks.isHeld('home')]).toEqual([EXIT_FAILED, [EXIT_FAILED], [1000], false]);
      expect(stderr()).toContain(`Error: Cannot finish within 1s (--timeout): ${doing}; ${RAISE}\n`);
      expect(stderr()).toContain(
        'Hint: Check that the CA and the network answer; raise --timeout only if the CA is just slow\n',
      );
      const errors = logs()
        .split('\n')
        .filter((line) => line.includes('"level":"error"'));
      expect(errors.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
        expect.objectContaining({
          message: 'The command ran past its deadline; stopping it',
          timeoutMs: 1000,
          ...(step === undefined ? {} : { step }),
        }),
      ]);
    },
  );

  test('a stuck "acme renew --json" past its deadline prints the JSON error document', async () => {
    const { deps, stdout } = cliHarness(stuck(), { exitNow: () => undefined });
    expect(await runCli(['renew', '--json', '--timeout', '1000'], deps)).toBe(EXIT_FAILED);
    expect(JSON.parse(stdout())).toEqual({
      schemaVersion: 1,
      ok: false,
      error: {
        code: 'DEADLINE_EXCEEDED',
        message: `Cannot finish within 1s (--timeout): it was still running; ${RAISE}`,
        hint: 'Check that the CA and the network answer; raise --timeout only if the CA is just slow',
        retryable: true,
      },
    });
  });

  test('a command that finishes in time never ends the process and reports the default deadline of 30 minutes', async () => {
    const exits: number[] = [];
    const announced: number[] = [];
    const { deps } = cliHarness(
      {},
      { exitNow: (code) => void exits.push(code), announceDeadline: (ms) => void announced.push(ms) },
    );
    expect(await runCli(['list', '--home', '/srv/acme'], deps)).toBe(EXIT_OK);
    expect([exits, announced]).toEqual([[], [1_800_000]]);
  });
});
