import { CommandReloadFallback } from '../../../src/haproxy';
import { HaproxyError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';

const ENV = { PATH: '/usr/bin:/bin' };

describe('CommandReloadFallback', () => {
  test('reload() resolves when the command exits 0', async () => {
    const fallback = new CommandReloadFallback({ argv: ['/bin/true'], env: ENV, logger: new CapturingLogger() });
    await expect(fallback.reload()).resolves.toBeUndefined();
    expect(fallback.label).toBe('command "/bin/true"');
  });

  test('reload() rejects with a HaproxyError naming the command and its output when it exits non-zero', async () => {
    const fallback = new CommandReloadFallback({ argv: ['/bin/sh', '-c', 'echo "unit haproxy not found" >&2; exit 3'], env: ENV, logger: new CapturingLogger() });
    const error = await fallback.reload().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(HaproxyError);
    expect((error as HaproxyError).message).toMatch(/^Cannot reload HAProxy with command "\/bin\/sh -c .*": Command failed: .*; output: unit haproxy not found$/);
  });

  test('reload() kills a command that outlives its timeout', async () => {
    const fallback = new CommandReloadFallback({ argv: ['/bin/sleep', '5'], env: ENV, logger: new CapturingLogger(), timeoutMs: 200 });
    const error = await fallback.reload().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as HaproxyError).message).toMatch(/^Cannot reload HAProxy with command "\/bin\/sleep 5"/);
    expect((error as HaproxyError).cause).toMatchObject({ killed: true, signal: 'SIGTERM' });
  });

  test('reload() runs no shell: metacharacters reach the program as plain arguments', async () => {
    const fallback = new CommandReloadFallback({ argv: ['/bin/sh', '-c', 'test "$0" = "a;b"', 'a;b'], env: ENV, logger: new CapturingLogger() });
    await expect(fallback.reload()).resolves.toBeUndefined();
  });
});
