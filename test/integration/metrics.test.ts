/**
 * `--metrics-file` end to end: the built CLI issues from real pebble into a real HAProxy, then
 * `acme renew` writes the node-exporter textfile after a pass that renews nothing, one that fails
 * and one that succeeds.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

/** The value of one sample line, e.g. `metric{name="x"}`; undefined when the file has no such line. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('--metrics-file after acme renew', () => {
  let peers: Peers;
  let home: string;
  let metricsDir: string;
  let metricsFile: string;
  let common: string[];
  let issued: { serial: string; notAfter: string };
  const name = `metrics-${process.pid}.example.test`;
  const label = (): string => `name="${name}"`;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-metrics-'));
    metricsDir = await mkdtemp(join(tmpdir(), 'haproxy-acme-textfile-'));
    metricsFile = join(metricsDir, 'acme.prom');
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
    ];
    const run = await runAcme(['issue', '-d', name, '--json', ...common]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    issued = JSON.parse(run.stdout).certificate;
  });
  afterAll(async () => {
    await peers?.stop();
    for (const dir of [home, metricsDir]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('acme renew with nothing due writes the expiry, the renewal time and the served-serial match, atomically and readable by node-exporter', async () => {
    const before = Date.now() / 1000;
    const run = await runAcme(['renew', '--metrics-file', metricsFile, ...common]);
    expect(run.code).toBe(0);
    const text = await readFile(metricsFile, 'utf8');
    expect(sample(text, 'haproxy_acme_certificates')).toBe(1);
    expect(sample(text, `haproxy_acme_certificate_not_after_timestamp_seconds{${label()}}`)).toBe(
      Date.parse(issued.notAfter) / 1000,
    );
    expect(sample(text, `haproxy_acme_certificate_next_renewal_timestamp_seconds{${label()}}`)).toBeGreaterThan(before);
    expect(sample(text, `haproxy_acme_certificate_failures{${label()}}`)).toBe(0);
    expect(
      sample(
        text,
        `haproxy_acme_endpoint_served_serial_matches{${label()},endpoint="unix@${peers.haproxyAdminSocket}"}`,
      ),
    ).toBe(1);
    expect(sample(text, 'haproxy_acme_metrics_written_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(before));
    expect((await stat(metricsFile)).mode & 0o777).toBe(0o644);
    expect(await readdir(metricsDir)).toEqual(['acme.prom']);
  });

  test('a failed renewal is in the file after the run that failed; the next success resets the streak, keeps the count and records its time', async () => {
    // A CA that cannot be reached, not a broken challenge route: pebble reuses a valid
    // authorization about once in 100 orders even with PEBBLE_AUTHZREUSE=0, and then validates nothing.
    const deadCa = common.map((arg, i) => (common[i - 1] === '--directory' ? 'https://127.0.0.1:9/dir' : arg));
    const failed = await runAcme(['renew', '--name', name, '--force', '--metrics-file', metricsFile, ...deadCa]);
    expect(failed.code).toBe(1);
    const afterFailure = await readFile(metricsFile, 'utf8');
    expect(sample(afterFailure, `haproxy_acme_certificate_failures{${label()}}`)).toBe(1);
    expect(sample(afterFailure, `haproxy_acme_certificate_last_failure_timestamp_seconds{${label()}}`)).toBeGreaterThan(
      0,
    );
    expect(sample(afterFailure, `haproxy_acme_certificate_last_success_timestamp_seconds{${label()}}`)).toBe(0);
    expect(sample(afterFailure, `haproxy_acme_certificate_renewal_failures_total{${label()}}`)).toBe(1);

    const renewed = await runAcme([
      'renew',
      '--name',
      name,
      '--force',
      '--json',
      '--metrics-file',
      metricsFile,
      ...common,
    ]);
    expect(renewed.code).toBe(0);
    const { renewed: certificate } = JSON.parse(renewed.stdout).certificates[0] as { renewed: { notAfter: string } };
    const afterSuccess = await readFile(metricsFile, 'utf8');
    expect(sample(afterSuccess, `haproxy_acme_certificate_failures{${label()}}`)).toBe(0);
    expect(sample(afterSuccess, `haproxy_acme_certificate_last_failure_timestamp_seconds{${label()}}`)).toBe(
      sample(afterFailure, `haproxy_acme_certificate_last_failure_timestamp_seconds{${label()}}`),
    );
    expect(sample(afterSuccess, `haproxy_acme_certificate_renewal_failures_total{${label()}}`)).toBe(1);
    expect(sample(afterSuccess, `haproxy_acme_certificate_last_success_timestamp_seconds{${label()}}`)).toBeGreaterThan(
      0,
    );
    expect(sample(afterSuccess, `haproxy_acme_certificate_not_after_timestamp_seconds{${label()}}`)).toBe(
      Date.parse(certificate.notAfter) / 1000,
    );
    expect(
      sample(
        afterSuccess,
        `haproxy_acme_endpoint_served_serial_matches{${label()},endpoint="unix@${peers.haproxyAdminSocket}"}`,
      ),
    ).toBe(1);
  });
});
