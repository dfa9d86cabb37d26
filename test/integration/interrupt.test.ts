/**
 * SIGTERM during a one-shot command: `acme issue` waits for the home lock (held here, as another
 * acme command would), is sent SIGTERM, and must exit 143 at once, say it was interrupted and that
 * nothing was lost, leave the lock to its holder (and nothing of its own behind), and leave the
 * stored certificate, its bundle and what HAProxy serves as they were.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock';
import { silentLogger } from '../../src/log';
import { FileLocks } from '../../src/storage';
import { servedSerial, startPeers, type Peers } from '../peers';
import { CLI_PATH, recordTranscript, runAcme } from './_support/runAcme';

describe('acme issue interrupted by SIGTERM', () => {
  let peers: Peers;
  let home: string;
  let common: string[];
  const name = `interrupt-${process.pid}.example.test`;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-interrupt-'));
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
    const first = await runAcme(['issue', '-d', name, ...common]);
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
  });

  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme issue waiting for the home lock exits 143, leaves the lock to its holder and the certificate untouched', async () => {
    const before = {
      cert: await readFile(join(home, 'certificates', name, 'cert.pem'), 'utf8'),
      bundle: await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8'),
      served: await servedSerial(peers.haproxyHttpsPort, name),
    };
    const locks = new FileLocks({ home, clock: systemClock, logger: silentLogger, command: 'test holder' });
    const held = await locks.acquire('home');
    const args = ['issue', '-d', name, '--lock-timeout', '60000', ...common];
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const waiting = new Promise<void>((done) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('Waiting for another acme command to finish')) done();
      }),
    );
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    let code: number | null;
    let stoppedInMs: number;
    try {
      await Promise.race([waiting, exited]);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      code = await exited;
      stoppedInMs = Date.now() - signalledAt;
      recordTranscript(args, code, { stdout, stderr });
      // Still ours: the interrupted command neither took nor removed it.
      expect(JSON.parse(await readFile(join(home, 'lock'), 'utf8'))).toMatchObject({
        pid: process.pid,
        command: 'test holder',
      });
    } finally {
      await held.release();
    }
    expect({ code, stderr: code === 143 ? '' : stderr }).toEqual({ code: 143, stderr: '' });
    expect(stoppedInMs).toBeLessThan(5000);
    expect(stderr).toContain('interrupted by SIGTERM while it was trying to wait for another acme command');
    expect(stderr).toContain('nothing was lost');
    expect((await readdir(home)).filter((entry) => entry === 'lock' || entry.startsWith('.lock'))).toEqual([]);
    expect({
      cert: await readFile(join(home, 'certificates', name, 'cert.pem'), 'utf8'),
      bundle: await readFile(join(home, 'haproxy', `${name}.pem`), 'utf8'),
      served: await servedSerial(peers.haproxyHttpsPort, name),
    }).toEqual(before);
  });
});
