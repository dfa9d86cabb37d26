/**
 * Bad input never costs anything: each case exits 2 (bad input) or 1 (failed operation) with a
 * clear message, and leaves --home without any certificate.
 */
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

/** Lists every certificate name written under home (none expected). */
async function storedCertificates(home: string): Promise<string[]> {
  const dir = join(home, 'certificates');
  return existsSync(dir) ? (await readdir(dir)).filter((entry) => !entry.startsWith('.')) : [];
}

describe('acme issue with bad input (no CA needed)', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-bad-input-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test.each([
    [
      'a wildcard name',
      ['-d', '*.example.test'],
      2,
      'Invalid --domain "*.example.test": HTTP-01 cannot validate wildcard names',
    ],
    ['a malformed name', ['-d', 'exa_mple..test'], 2, 'Invalid --domain "exa_mple..test"'],
    ['a bad email', ['-d', 'ok.example.test', '--email', 'not-an-email'], 2, 'Invalid --email "not-an-email"'],
    ['an unknown flag', ['-d', 'ok.example.test', '--domian', 'x'], 2, "unknown option '--domian'"],
    ['a bad port', ['-d', 'ok.example.test', '--http-port', '80abc'], 2, 'Invalid --http-port "80abc"'],
    ['no domain at all', [], 2, 'Missing --domain: acme issue needs at least one DNS name'],
    [
      'a missing CA bundle file',
      ['-d', 'ok.example.test', '--ca-bundle', '/nonexistent/ca.pem'],
      2,
      'Invalid --ca-bundle "/nonexistent/ca.pem"',
    ],
  ])('acme issue with %s exits %d and writes nothing', async (_label, args, exitCode, message) => {
    const run = await runAcme(['issue', '--home', home, '--directory', 'https://127.0.0.1:9/dir', ...args]);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(exitCode);
    expect(await storedCertificates(home)).toEqual([]);
  });

  test('acme issue with an unreachable directory exits 1 and names the URL and the cause', async () => {
    const port = await freePort(); // free now, so nothing listens there
    const directory = `https://127.0.0.1:${port}/dir`;
    const run = await runAcme(['issue', '-d', 'ok.example.test', '--home', home, '--directory', directory]);
    expect(run.stderr).toContain(`Cannot reach "${directory}"`);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.code).toBe(1);
    expect(await storedCertificates(home)).toEqual([]);
  });

  test('acme issue --json reports a bad input as a JSON error document on stdout', async () => {
    const run = await runAcme(['issue', '--json', '--home', home, '-d', '*.example.test']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      schemaVersion: 1,
      ok: false,
      error: { code: 'CONFIG_INVALID', retryable: false },
    });
  });

  test('acme issue exits 1 with a clear message when the responder port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runAcme([
        'issue',
        '-d',
        'ok.example.test',
        '--home',
        home,
        '--directory',
        'https://127.0.0.1:9/dir',
        '--http-port',
        String(port),
      ]);
      // The account is opened before the responder binds, so against a dead CA the CA error wins;
      // what matters here is that the run fails cleanly and writes no certificate.
      expect(run.code).toBe(1);
      expect(await storedCertificates(home)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});

describe('acme issue against a CA it does not trust', () => {
  let peers: Peers;
  let home: string;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-untrusted-'));
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue without --ca-bundle for pebble exits 1, explains the TLS failure and suggests --ca-bundle', async () => {
    const run = await runAcme([
      'issue',
      '-d',
      'untrusted.example.test',
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--http-port',
      String(peers.responderPort),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach "${peers.directoryUrl}"`);
    expect(run.stderr).toContain('--ca-bundle');
    expect(await storedCertificates(home)).toEqual([]);
  });

  test('acme issue exits 1 naming the port and the fix when the responder port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runAcme([
        'issue',
        '-d',
        'busy.example.test',
        '--home',
        home,
        '--directory',
        peers.directoryUrl,
        '--ca-bundle',
        peers.caBundlePath,
        '--http-port',
        String(port),
      ]);
      expect(run.stderr).toContain(`Cannot listen on "127.0.0.1:${port}" for HTTP-01`);
      expect(run.stderr).toContain('--http-port');
      expect(run.code).toBe(1);
      expect(await storedCertificates(home)).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
