/**
 * Many stored certificates under the usual open-files limit: 1,024 certificates (locally signed
 * leaves stored through FileCertificateStore, as issuance stores them, by the renewal benchmark's
 * generator) and `ulimit -n 1024`, the default for users and services. `acme list`, `acme list
 * --json`, `acme renew` (nothing due, every bundle written by its start-up check) and `acme doctor`
 * each read every certificate and MUST succeed with the right counts. Under a limit of 48, far
 * below the number of certificates, listing and the renewal check still read every one: the files
 * a pass holds open do not grow with the home. (An exhausted limit is reported as
 * STORAGE_OPEN_FILES_LIMIT, never as a damaged file: test/unit/storage/io-limit.test.ts.)
 * No CA is used: the directory URL is a closed loopback port. Timing targets belong to the
 * benchmark (`npm run bench -- scale`), not here.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock';
import { silentLogger } from '../../src/log';
import { openFileBackend } from '../../src/storage';
import { createLocalCa, storeLocalCertificates } from '../bench/_localCerts';
import { freePort } from '../peers';
import { CLI_PATH, recordTranscript, type AcmeRun } from './_support/runAcme';

const COUNT = 1024;
/** Port 9 (discard) on loopback: closed, so a stray request fails at once. */
const DEAD_DIRECTORY = 'https://127.0.0.1:9/dir';
const RUN_TIMEOUT_MS = 120_000;

/** `node dist/main.js <args>` under `ulimit -n <limit>`, with only PATH in its environment. */
function runUnderLimit(limit: number, args: string[]): Promise<AcmeRun> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => {
      recordTranscript(args, code, { stdout, stderr });
      done({ code, stdout, stderr });
    });
  });
}

/** What a failed run printed, for the assertion message; '' for a success. */
const failure = (run: AcmeRun): string =>
  run.code === 0 ? '' : `${run.stdout.slice(-1000)}\n${run.stderr.slice(-2000)}`;

describe(`${COUNT} stored certificates under ulimit -n 1024`, () => {
  let home: string;
  let names: string[];
  let common: string[];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-many-'));
    const { store } = openFileBackend({ home, clock: systemClock, logger: silentLogger });
    const now = new Date();
    names = Array.from({ length: COUNT }, (_, i) => `site-${String(i).padStart(4, '0')}.many.test`);
    await storeLocalCertificates(store, await createLocalCa(now), names, {
      now,
      ageDays: 1,
      lifetimeDays: 90,
      directoryUrl: DEAD_DIRECTORY,
      parallel: 16,
    });
    // The default list holds this machine's own services: the listener check looks at one port of ours.
    common = ['--home', home, '--directory', DEAD_DIRECTORY, '--local-ports', String(await freePort())];
  }, 300_000);
  afterAll(async () => {
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme list prints one row per certificate', async () => {
    const run = await runUnderLimit(1024, ['list', ...common]);
    const rows = run.stdout.split('\n').filter((line) => /^site-\d{4}\.many\.test /.test(line));
    expect({ code: run.code, rows: rows.length, failure: failure(run) }).toEqual({ code: 0, rows: COUNT, failure: '' });
  });

  test('acme list --json lists every certificate, with its serial and next renewal', async () => {
    const run = await runUnderLimit(1024, ['list', '--json', ...common]);
    expect({ code: run.code, failure: failure(run) }).toEqual({ code: 0, failure: '' });
    const listed = (
      JSON.parse(run.stdout) as {
        certificates: Array<{ kind: string; name: string; serial: string; nextRenewal: { due: boolean } | null }>;
      }
    ).certificates.filter((c) => c.kind === 'acme');
    expect({
      names: listed.map((c) => c.name),
      withSerial: listed.filter((c) => /^[0-9A-F]+$/.test(c.serial)).length,
      due: listed.filter((c) => c.nextRenewal?.due === true).length,
    }).toEqual({ names, withSerial: COUNT, due: 0 });
  });

  test('acme renew checks every certificate, renews none, and writes every HAProxy bundle', async () => {
    const run = await runUnderLimit(1024, ['renew', '--json', ...common]);
    expect({ code: run.code, failure: failure(run) }).toEqual({ code: 0, failure: '' });
    const outcomes = (JSON.parse(run.stdout) as { certificates: Array<{ decision: { due: boolean } }> }).certificates;
    const bundles = (await readdir(join(home, 'haproxy'))).filter((f) => f.endsWith('.pem'));
    expect({
      checked: outcomes.length,
      due: outcomes.filter((o) => o.decision.due).length,
      bundles: bundles.length,
    }).toEqual({ checked: COUNT, due: 0, bundles: COUNT });
  });

  test('acme doctor checks every certificate and the whole home, and finds nothing to fail', async () => {
    const run = await runUnderLimit(1024, ['doctor', '--json', ...common]);
    const checks = (
      JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; title: string; detail: string }> }
    ).checks;
    const expiry = checks.filter((c) => c.id === 'expiry');
    const home = checks.find((c) => c.id === 'home-permissions');
    expect({
      code: run.code,
      failed: checks.filter((c) => c.status === 'fail').map((c) => `${c.title}: ${c.detail}`),
      expiryOk: expiry.filter((c) => c.status === 'ok').length,
      home: home?.status,
    }).toEqual({ code: 0, failed: [], expiryOk: COUNT, home: 'ok' });
  });

  test.each<[string, string[], 'list' | 'renew']>([
    ['acme list --json', ['list', '--json'], 'list'],
    ['acme renew --json', ['renew', '--json'], 'renew'],
  ])('%s under an open-files limit of 48 still reads all 1,024 certificates', async (_what, args, kind) => {
    const run = await runUnderLimit(48, [...args, ...common]);
    expect({ code: run.code, failure: failure(run) }).toEqual({ code: 0, failure: '' });
    const certificates = (JSON.parse(run.stdout) as { certificates: Array<{ kind?: string }> }).certificates;
    const counted = kind === 'list' ? certificates.filter((c) => c.kind === 'acme').length : certificates.length;
    expect(counted).toBe(COUNT);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/damaged|STORAGE_CORRUPT|EMFILE/i);
  });
});
