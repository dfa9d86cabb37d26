/** `--metrics-file` through the whole CLI: written after every command, success or failure, never changing the exit code. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import { MemoryCertificateStore, MemoryRenewalStateStore } from '../../../src/storage';
import { cliHarness } from '../cli/_harness';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';

const NOW = new Date('2026-11-27T00:00:00Z');

async function storeWithSite(): Promise<MemoryCertificateStore> {
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
  await store.saveCertificate({
    name: 'site',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
  });
  return store;
}

describe('runAction() --metrics-file', () => {
  let dir: string;
  let logger: CapturingLogger;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-run-metrics-'));
    logger = new CapturingLogger();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('acme list --metrics-file writes the file after a successful command', async () => {
    const path = join(dir, 'acme.prom');
    const { deps } = cliHarness({ store: await storeWithSite() }, { createLogger: () => logger });
    expect(await runCli(['list', '--metrics-file', path], deps)).toBe(EXIT_OK);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('haproxy_acme_certificates 1\n');
    expect(text).toContain('haproxy_acme_certificate_not_after_timestamp_seconds{name="site"} 4949339754\n');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  test('acme renew --metrics-file writes the file after a failed pass, with the failure, and keeps exit code 1', async () => {
    const path = join(dir, 'acme.prom');
    const { deps } = cliHarness(
      { store: await storeWithSite(), renewalState: new MemoryRenewalStateStore() },
      { createLogger: () => logger },
    );
    expect(await runCli(['renew', '--name', 'site', '--force', '--metrics-file', path], deps)).toBe(EXIT_FAILED);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('haproxy_acme_certificate_failures{name="site"} 1\n');
    expect(text).toContain(
      `haproxy_acme_certificate_last_failure_timestamp_seconds{name="site"} ${NOW.getTime() / 1000}\n`,
    );
  });

  test('a metrics file that cannot be written is a warning: exit code 0, nothing on stderr', async () => {
    const path = join(dir, 'missing', 'acme.prom');
    const { deps, stderr } = cliHarness({ store: await storeWithSite() }, { createLogger: () => logger });
    expect(await runCli(['list', '--metrics-file', path], deps)).toBe(EXIT_OK);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message.slice(0, 28 + path.length))).toEqual([
      `Cannot write metrics file "${path}"`,
    ]);
    expect(stderr()).toBe('');
  });

  test('a failing createServices() during the metrics write is a warning too', async () => {
    const path = join(dir, 'acme.prom');
    let calls = 0;
    const harness = cliHarness({ store: await storeWithSite() }, { createLogger: () => logger });
    const createServices = harness.deps.createServices;
    harness.deps.createServices = (config, log) => {
      calls += 1;
      if (calls > 1) throw new Error('cannot read the CA bundle');
      return createServices(config, log);
    };
    expect(await runCli(['list', '--metrics-file', path], harness.deps)).toBe(EXIT_OK);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message)).toEqual([
      `Cannot write metrics file "${path}": cannot read the CA bundle`,
    ]);
  });

  test('bad input exits 2 and writes no metrics file (the configuration is unknown)', async () => {
    const path = join(dir, 'acme.prom');
    const { deps } = cliHarness({ store: await storeWithSite() }, { createLogger: () => logger });
    expect(await runCli(['list', '--metrics-file', path, '--request-timeout', '1'], deps)).toBe(EXIT_BAD_INPUT);
    await expect(stat(path)).rejects.toThrow('ENOENT');
  });

  // The parent never loads config, storage or metrics (it stays small): each child pass writes the file.
  test('acme daemon hands --metrics-file to each child pass and writes no file itself', async () => {
    const path = join(dir, 'acme.prom');
    const passes: string[][] = [];
    const { deps } = cliHarness(
      { store: await storeWithSite() },
      {
        createLogger: () => logger,
        runSelf: async (args) => {
          passes.push(args);
          return EXIT_OK;
        },
        waitForShutdown: () => new Promise((resolve) => setTimeout(() => resolve('SIGTERM'), 50)),
      },
    );
    expect(await runCli(['daemon', '--schedule', '0 0 1 1 *', '--metrics-file', path], deps)).toBe(EXIT_OK);
    expect(passes.map((args) => args.slice(0, 3))).toEqual([['renew', '--metrics-file', path]]);
    await expect(readFile(path, 'utf8')).rejects.toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
