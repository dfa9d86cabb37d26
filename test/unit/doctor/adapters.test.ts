import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChallengeError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  inspectRuntimeSocket,
  probeChallengeRoute,
  readListeners,
  scanHome,
  type HomeEntry,
  type ProbeResponder,
} from '../../../src/doctor';

describe('scanHome()', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-home-'));
    await mkdir(join(home, 'haproxy'), { mode: 0o700 });
    await mkdir(join(home, 'certificates', 'deep', 'er'), { recursive: true, mode: 0o700 });
    await writeFile(join(home, 'haproxy', 'site.pem'), 'x', { mode: 0o600 });
    await chmod(join(home, 'haproxy', 'site.pem'), 0o640);
    await symlink('/etc/passwd', join(home, 'certificates', 'link'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('scanHome() lists home breadth first with lstat modes, never following a symlink', async () => {
    const entries: HomeEntry[] = [];
    const scan = await scanHome(home, { onEntry: (entry) => entries.push(entry) });
    const uid = process.getuid!();
    expect({ ...scan, tally: scan.tally.entries, entries }).toEqual({
      home,
      truncated: false,
      tally: 7,
      entries: [
        { path: '.', type: 'directory', mode: 0o700, uid },
        { path: 'certificates', type: 'directory', mode: 0o700, uid },
        { path: 'haproxy', type: 'directory', mode: 0o700, uid },
        { path: 'certificates/deep', type: 'directory', mode: 0o700, uid },
        { path: 'certificates/link', type: 'symlink', mode: expect.any(Number), uid },
        { path: 'haproxy/site.pem', type: 'file', mode: 0o640, uid },
        { path: 'certificates/deep/er', type: 'directory', mode: 0o700, uid },
      ],
    });
  });

  test.each([
    ['entries', { maxEntries: 3 }, 3],
    ['depth', { maxDepth: 1 }, 3],
  ])('scanHome() stops at its %s limit and says so', async (_what, options, count) => {
    const scan = await scanHome(home, options);
    expect({ truncated: scan.truncated, count: scan.tally.entries }).toEqual({ truncated: true, count });
  });

  test('scanHome() reports a missing home as an error, without throwing', async () => {
    const scan = await scanHome(join(home, 'missing'));
    expect(scan.tally.entries).toBe(0);
    expect(scan.error).toMatch(/^ENOENT: no such file or directory, lstat '.*\/missing'$/);
  });
});

describe('readListeners()', () => {
  test('readListeners() parses each readable file and names the unreadable ones', async () => {
    const files: Record<string, string> = {
      '/a/tcp':
        '  sl  local_address ...\n   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 1 1 0 100 0 0 10 0\n',
    };
    const scan = await readListeners({
      files: ['/a/tcp', '/a/tcp6'],
      littleEndian: true,
      readFile: async (path) => {
        const text = files[path];
        if (text === undefined) throw new Error(`ENOENT: ${path}`);
        return text;
      },
    });
    expect(scan).toEqual({
      listeners: [{ family: 'ipv4', address: '0.0.0.0', port: 5432, uid: 105 }],
      read: ['/a/tcp'],
      unreadable: ['/a/tcp6'],
    });
  });
});

describe('inspectRuntimeSocket()', () => {
  test('inspectRuntimeSocket() reports a socket that does not exist as an error, without throwing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-sock-'));
    try {
      const facts = await inspectRuntimeSocket(
        { kind: 'unix', path: join(dir, 'admin.sock') },
        { logger: new CapturingLogger(), timeoutMs: 2000 },
      );
      expect(facts).toEqual({
        label: `unix@${join(dir, 'admin.sock')}`,
        endpoint: { kind: 'unix', path: join(dir, 'admin.sock') },
        error: expect.stringContaining('ENOENT'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A responder that records what it was asked, and can refuse to start. */
function recordingResponder(options: { acquireError?: Error } = {}): ProbeResponder & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    acquire: async () => {
      if (options.acquireError !== undefined) throw options.acquireError;
      log.push('acquire');
      return async () => void log.push('release');
    },
    present: async (token, keyAuthorization) => void log.push(`present ${token} ${keyAuthorization}`),
    cleanup: async (token) => void log.push(`cleanup ${token}`),
  };
}

describe('probeChallengeRoute()', () => {
  let counter = 0;
  const randomToken = (): string => `probe-token-${String(++counter).padStart(8, '0')}`;
  beforeEach(() => {
    counter = 0;
  });
  const base = {
    preflightUrl: 'http://127.0.0.1:8080/',
    host: 'site.example.com',
    responderLabel: '127.0.0.1:34000',
    randomToken,
  };

  test('probeChallengeRoute() presents a random token, fetches it through the preflight, then cleans up and releases', async () => {
    const responder = recordingResponder();
    const targets: unknown[] = [];
    const probe = await probeChallengeRoute({
      ...base,
      responder,
      preflight: async (target) => void targets.push(target),
    });
    expect(probe).toEqual({
      kind: 'answered',
      challengeType: 'http-01',
      url: 'http://127.0.0.1:8080/.well-known/acme-challenge/<probe token>',
      host: 'site.example.com',
    });
    expect(targets).toEqual([
      {
        domain: 'site.example.com',
        token: 'probe-token-00000001',
        keyAuthorization: 'probe-token-00000001.probe-token-00000002',
      },
    ]);
    expect(responder.log).toEqual([
      'acquire',
      'present probe-token-00000001 probe-token-00000001.probe-token-00000002',
      'cleanup probe-token-00000001',
      'release',
    ]);
  });

  test('probeChallengeRoute() reports a failed preflight with its message and still cleans up', async () => {
    const responder = recordingResponder();
    const probe = await probeChallengeRoute({
      ...base,
      responder,
      preflight: async () => {
        throw new ChallengeError(
          'CHALLENGE_PREFLIGHT',
          'Preflight failed for "site.example.com": GET … returned HTTP 404',
        );
      },
    });
    expect(probe).toEqual({
      kind: 'failed',
      challengeType: 'http-01',
      cause: 'route',
      error: 'Preflight failed for "site.example.com": GET … returned HTTP 404',
      responder: '127.0.0.1:34000',
    });
    expect(responder.log.slice(-2)).toEqual(['cleanup probe-token-00000001', 'release']);
  });

  test('probeChallengeRoute() reports a responder that cannot start', async () => {
    const responder = recordingResponder({
      acquireError: new ChallengeError(
        'CHALLENGE_BIND',
        'Cannot listen on "127.0.0.1:34000" for HTTP-01: the port is in use',
      ),
    });
    const probe = await probeChallengeRoute({ ...base, responder, preflight: async () => undefined });
    expect(probe).toEqual({
      kind: 'responder-unavailable',
      challengeType: 'http-01',
      error: 'Cannot listen on "127.0.0.1:34000" for HTTP-01: the port is in use',
      responder: '127.0.0.1:34000',
    });
  });

  test('probeChallengeRoute() is skipped without a preflight URL and never starts the responder', async () => {
    const responder = recordingResponder();
    const probe = await probeChallengeRoute({ ...base, preflightUrl: undefined, responder, preflight: undefined });
    expect(probe.kind).toBe('skipped');
    expect(responder.log).toEqual([]);
  });
});
