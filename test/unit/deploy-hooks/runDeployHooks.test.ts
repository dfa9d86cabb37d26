import * as fsp from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hookEnvironment, runDeployHooks, type DeployHook, type HookResult } from '../../../src/deploy-hooks';
import { CapturingLogger, type LogRecord } from '../../../src/log';
import { fixture } from '../../fixtures/certs';
import { installFixtureHooks, SAMPLE_CERT, tempDir } from './_hooks';

// Real child processes, short timeouts. Fixture scripts: test/fixtures/hooks/*.sh.
let bin: string;
let work: string;
const hook = (name: string, ...args: string[]): DeployHook => ({ label: name, argv: [join(bin, name), ...args] });
const ENV = hookEnvironment(SAMPLE_CERT, { PATH: process.env.PATH ?? '' });
const FAST = { timeoutMs: 300, killGraceMs: 300 };

beforeAll(async () => {
  bin = await tempDir('hook-bin');
  await installFixtureHooks(bin);
});

afterAll(async () => {
  await fsp.rm(bin, { recursive: true, force: true });
});

beforeEach(async () => {
  work = await tempDir('hook-work');
});

afterEach(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

/** The lines a hook printed, as logged: `level message` for records that carry its label. */
function outputOf(records: LogRecord[], label: string): string[] {
  return records
    .filter((r) => r.fields.hook === label && r.message !== 'Running deploy hook' && r.level !== 'error')
    .filter((r) => r.message !== 'Deploy hook finished')
    .map((r) => `${r.level} ${r.message}`);
}

/** Dead means gone (ESRCH) or a zombie: this sandbox's PID 1 does not reap orphans. */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

async function eventuallyDead(pids: number[]): Promise<boolean[]> {
  for (let attempt = 0; attempt < 40 && !pids.every(isDead); attempt++) await new Promise((r) => setTimeout(r, 25));
  return pids.map(isDead);
}

const readPids = async (file: string): Promise<number[]> =>
  (await fsp.readFile(file, 'utf8')).trim().split(' ').map(Number);

test('runDeployHooks() gives a hook exactly the environment it was passed', async () => {
  const parent: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: '/root', SECRET: 's3cret', LANG: 'C.UTF-8' };
  const env = hookEnvironment(SAMPLE_CERT, parent);
  const probe = join(work, 'env');
  const logger = new CapturingLogger();
  const [result] = await runDeployHooks([hook('probe-env.sh', probe)], { env, logger });
  const seen = Object.fromEntries(
    (await fsp.readFile(probe, 'utf8'))
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
  expect(seen).toEqual(env);
  expect(Object.keys(seen).sort()).toEqual([
    'ACME_HOOK_BUNDLE_PATH',
    'ACME_HOOK_CERT_PATH',
    'ACME_HOOK_CHAIN_PATH',
    'ACME_HOOK_DOMAINS',
    'ACME_HOOK_FULLCHAIN_PATH',
    'ACME_HOOK_KEY_PATH',
    'ACME_HOOK_NAME',
    'ACME_HOOK_NOT_AFTER',
    'ACME_HOOK_SERIAL',
    'LANG',
    'PATH',
    'RENEWED_DOMAINS',
    'RENEWED_LINEAGE',
  ]);
  expect(seen).toEqual(
    expect.objectContaining({
      ACME_HOOK_NOT_AFTER: '2026-03-01T12:00:00.000Z',
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
    }),
  );
  expect(result).toEqual<HookResult>({
    label: 'probe-env.sh',
    exitCode: 0,
    signal: null,
    timedOut: false,
    ok: true,
    durationMs: expect.any(Number),
  });
  expect(logger.records.map((r) => [r.level, r.message, r.fields])).toEqual([
    ['info', 'Running deploy hook', { hook: 'probe-env.sh', command: join(bin, 'probe-env.sh') }],
    ['info', 'Deploy hook finished', { hook: 'probe-env.sh', exitCode: 0, durationMs: result!.durationMs }],
  ]);
  expect(JSON.stringify(logger.records)).not.toContain('s3cret');
});

test('runDeployHooks() records a non-zero exit, logs the output and still runs the next hook', async () => {
  const logger = new CapturingLogger();
  const probe = join(work, 'env');
  const results = await runDeployHooks([hook('exit-3.sh'), hook('probe-env.sh', probe)], { env: ENV, logger });
  expect(results.map(({ durationMs: _d, ...rest }) => rest)).toEqual([
    {
      label: 'exit-3.sh',
      exitCode: 3,
      signal: null,
      timedOut: false,
      ok: false,
      error: 'Deploy hook "exit-3.sh" failed: it exited with status 3',
    },
    { label: 'probe-env.sh', exitCode: 0, signal: null, timedOut: false, ok: true },
  ]);
  expect(outputOf(logger.records, 'exit-3.sh')).toEqual([
    'info reloading the service',
    'warn service.conf: line 12: unknown directive',
  ]);
  expect(logger.records.filter((r) => r.level === 'error')).toEqual([
    {
      level: 'error',
      message: 'Deploy hook "exit-3.sh" failed: it exited with status 3',
      fields: { hook: 'exit-3.sh', exitCode: 3, signal: null, timedOut: false, durationMs: results[0]!.durationMs },
    },
  ]);
  await expect(fsp.stat(probe)).resolves.toBeDefined();
});

test.each<[string, string]>([
  ['sleepy.sh', 'SIGTERM'],
  ['stubborn.sh', 'SIGKILL'],
])('runDeployHooks() kills the whole process group of %s after the timeout (%s ends it)', async (name, signal) => {
  const pidFile = join(work, 'pids');
  const started = Date.now();
  const [result] = await runDeployHooks([hook(name, pidFile)], { env: ENV, logger: new CapturingLogger(), ...FAST });
  expect(Date.now() - started).toBeLessThan(5000);
  expect(result).toEqual({
    label: name,
    exitCode: null,
    signal,
    timedOut: true,
    ok: false,
    durationMs: expect.any(Number),
    error: `Deploy hook "${name}" failed: it did not finish within 300 ms, so its process group was killed`,
  });
  expect(await eventuallyDead(await readPids(pidFile))).toEqual([true, true]);
});

test('runDeployHooks() caps long lines and the total output, and the hook still succeeds', async () => {
  const logger = new CapturingLogger();
  const [result] = await runDeployHooks([hook('noisy.sh')], { env: ENV, logger });
  const lines = outputOf(logger.records, 'noisy.sh');
  // 65536 bytes: the 3001-byte first line, 2156 lines of 29 bytes, then 11 bytes of line 2157.
  expect(lines).toHaveLength(2159);
  expect(lines[0]).toBe(`info ${'x'.repeat(1000)} [line truncated]`);
  expect(lines[1]).toBe('info line 00001 of the noisy hook');
  expect(lines.slice(-3)).toEqual(['info line 02156 of the noisy hook', 'info line 02157 ', 'info [output truncated]']);
  expect(result).toEqual(expect.objectContaining({ ok: true, exitCode: 0 }));
});

test('runDeployHooks() never logs a private key a hook prints', async () => {
  const logger = new CapturingLogger();
  const keyPath = join(__dirname, '..', '..', 'fixtures', 'certs', 'rsa-leaf.key.pem');
  await runDeployHooks([hook('print-key.sh', keyPath)], { env: ENV, logger });
  expect(outputOf(logger.records, 'print-key.sh')).toEqual([
    'info before the key',
    'info [redacted PRIVATE KEY]',
    'info after the key',
  ]);
  const keyBody = fixture('rsa-leaf.key.pem').split('\n')[1]!;
  expect(JSON.stringify(logger.records)).not.toContain(keyBody);
});

test('runDeployHooks() refuses a group-writable hook without running it', async () => {
  const path = join(work, 'writable.sh');
  await fsp.copyFile(join(bin, 'probe-env.sh'), path);
  await fsp.chmod(path, 0o775);
  const probe = join(work, 'env');
  const logger = new CapturingLogger();
  const [result] = await runDeployHooks([{ label: 'writable.sh', argv: [path, probe] }], { env: ENV, logger });
  const message = `Cannot run deploy hook "${path}": it is group/world-writable (mode 0775); fix with "chmod go-w ${path}"`;
  expect(result).toEqual({
    label: 'writable.sh',
    exitCode: null,
    signal: null,
    timedOut: false,
    ok: false,
    durationMs: expect.any(Number),
    error: message,
  });
  expect(logger.records.map((r) => [r.level, r.message])).toEqual([['error', message]]);
  await expect(fsp.stat(probe)).rejects.toThrow('ENOENT');
});

test.each<[string, () => DeployHook, (dir: string) => string]>([
  [
    'a missing hook',
    () => ({ label: 'gone', argv: ['/nonexistent/hooks/gone'] }),
    () => 'Cannot run deploy hook "/nonexistent/hooks/gone": it does not exist',
  ],
  [
    'an empty command',
    () => ({ label: 'empty', argv: [] }),
    () => 'Cannot run deploy hook "empty": the command is empty',
  ],
  [
    'a relative command',
    () => ({ label: 'rel', argv: ['reload.sh'] }),
    () => 'Cannot run deploy hook "reload.sh": it is not an absolute path, and no executable of that name is on PATH',
  ],
  [
    'a script whose interpreter is missing',
    () => ({ label: 'bad-shebang', argv: [join(work, 'bad-shebang')] }),
    () =>
      'Cannot run deploy hook "bad-shebang": the system cannot execute it (ENOENT); check that it is a program for this machine and that its "#!" interpreter exists',
  ],
])('runDeployHooks() records %s as a failure without throwing', async (_name, make, message) => {
  await fsp.writeFile(join(work, 'bad-shebang'), '#!/nonexistent/interpreter\n', { mode: 0o755 });
  const logger = new CapturingLogger();
  const [result] = await runDeployHooks([make()], { env: ENV, logger });
  expect(result).toEqual(expect.objectContaining({ ok: false, exitCode: null, timedOut: false, error: message(work) }));
  expect(logger.records.filter((r) => r.level === 'error').map((r) => r.message)).toEqual([message(work)]);
});

test('runDeployHooks() does not echo an environment value Node refuses', async () => {
  const logger = new CapturingLogger();
  const env = { ...ENV, ACME_HOOK_NAME: 'secret\0value' };
  const [result] = await runDeployHooks([hook('probe-env.sh', join(work, 'env'))], { env, logger });
  expect(result!.error).toBe(
    'Cannot run deploy hook "probe-env.sh": Node refused its arguments or environment (ERR_INVALID_ARG_VALUE)',
  );
  expect(JSON.stringify(logger.records)).not.toContain('secret');
});

test('runDeployHooks() starts the next hook only after the previous one ended', async () => {
  const probe = join(work, 'env');
  const started = Date.now();
  const results = await runDeployHooks([hook('sleepy.sh', join(work, 'pids')), hook('probe-env.sh', probe)], {
    env: ENV,
    logger: new CapturingLogger(),
    ...FAST,
  });
  expect(results.map((r) => [r.label, r.ok])).toEqual([
    ['sleepy.sh', false],
    ['probe-env.sh', true],
  ]);
  expect((await fsp.stat(probe)).mtimeMs).toBeGreaterThanOrEqual(started + 300);
});
