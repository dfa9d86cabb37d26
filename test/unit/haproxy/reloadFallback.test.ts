import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programEnvironment, runProgram } from '../../../src/deploy-hooks';
import { HaproxyError } from '../../../src/errors';
import { CommandReloadFallback } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';

/** What the parent process might hold: a secret that must never reach the reload command. */
const PARENT_ENV = { PATH: '/usr/bin:/bin', ACME_EAB_HMAC_KEY: 'c2VjcmV0LWhtYWMta2V5', HOME: '/root', LANG: 'C.UTF-8' };

/** The fallback as main.ts wires it: deploy-hooks' runProgram() with the minimal program environment. */
function fallbackFor(
  argv: string[],
  options: { timeoutMs?: number; logger?: CapturingLogger } = {},
): CommandReloadFallback {
  const logger = options.logger ?? new CapturingLogger();
  return new CommandReloadFallback({
    argv,
    run: (command) =>
      runProgram(
        { label: command.join(' '), argv: [...command] },
        {
          env: programEnvironment(PARENT_ENV),
          logger,
          role: 'reload command',
          timeoutMs: options.timeoutMs ?? 10_000,
          killGraceMs: 200,
        },
      ),
  });
}

describe('CommandReloadFallback', () => {
  let work: string;
  beforeEach(async () => {
    work = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-reload-'));
  });
  afterEach(async () => {
    await fsp.rm(work, { recursive: true, force: true });
  });

  test('reload() resolves when the command exits 0', async () => {
    const fallback = fallbackFor(['/bin/true']);
    await expect(fallback.reload()).resolves.toBeUndefined();
    expect(fallback.label).toBe('command "/bin/true"');
  });

  test('reload() rejects with a HaproxyError naming the command and its exit status, and logs its output', async () => {
    const logger = new CapturingLogger();
    const fallback = fallbackFor(['/bin/sh', '-c', 'echo "unit haproxy not found" >&2; exit 3'], { logger });
    const error = await fallback.reload().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(HaproxyError);
    expect((error as HaproxyError).message).toBe(
      `Cannot reload HAProxy with command "/bin/sh -c echo "unit haproxy not found" >&2; exit 3": Reload command "/bin/sh -c echo "unit haproxy not found" >&2; exit 3" failed: it exited with status 3`,
    );
    expect(logger.records.map((r) => r.message)).toContain('unit haproxy not found');
  });

  test('reload() kills a command that outlives its timeout', async () => {
    const fallback = fallbackFor(['/bin/sleep', '5'], { timeoutMs: 200 });
    await expect(fallback.reload()).rejects.toThrow(
      'Cannot reload HAProxy with command "/bin/sleep 5": Reload command "/bin/sleep 5" failed: it did not finish within 200 ms, so its process group was killed',
    );
  });

  test('reload() runs no shell: metacharacters reach the program as plain arguments', async () => {
    await expect(fallbackFor(['/bin/sh', '-c', 'test "$0" = "a;b"', 'a;b']).reload()).resolves.toBeUndefined();
  });

  test('reload() gives the command only the minimal environment: no ACME_EAB_HMAC_KEY, HOME or other parent variable', async () => {
    const out = join(work, 'env.txt');
    await expect(fallbackFor(['/bin/sh', '-c', `env > ${out}`]).reload()).resolves.toBeUndefined();
    const names = (await fsp.readFile(out, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('=')[0]);
    expect(names.filter((name) => !['PWD', 'SHLVL', '_'].includes(name!)).sort()).toEqual(['LANG', 'PATH']);
  });

  test('reload() finds a bare name on PATH and refuses it when its directory belongs to another user', async () => {
    await expect(fallbackFor(['true']).reload()).resolves.toBeUndefined();
    const foreign = join(work, 'foreign');
    await fsp.mkdir(foreign);
    await fsp.copyFile('/bin/true', join(foreign, 'reload'));
    await fsp.chmod(join(foreign, 'reload'), 0o755);
    await fsp.chown(foreign, 65534, 65534);
    await expect(fallbackFor([join(foreign, 'reload')]).reload()).rejects.toThrow(
      `Cannot reload HAProxy with command "${foreign}/reload": Cannot run reload command "${foreign}/reload": its directory "${foreign}" is owned by uid 65534, which is neither root nor the current user (uid 0); fix with "chown root ${foreign}"`,
    );
  });
});
