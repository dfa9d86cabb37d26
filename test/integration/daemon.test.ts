/** `acme daemon`: one pass at start, then waits for its schedule; SIGTERM stops it cleanly with exit 0. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';
import { runDaemonUntilFirstPass } from './_support/runDaemon';

describe('acme daemon', () => {
  let peers: Peers;
  let home: string;

  beforeAll(async () => {
    peers = await startPeers();
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-daemon-'));
  });
  afterAll(async () => {
    await peers?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme daemon runs a pass at start, logs each decision, and exits 0 on SIGTERM', async () => {
    const ca = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
    // pebble 2.7 picks a random profile for an order that names none; its 6-day one would be due
    // before the next (yearly) check, so ask for the 90-day one. Pebble 2.4 has no profiles.
    const profile = peers.versions.pebble.profiles ? ['--profile', 'default'] : [];
    const issued = await runAcme(['issue', '-d', `daemon-${process.pid}.example.test`, ...ca, ...profile]);
    expect(issued.code).toBe(0);

    // Once a year: only the startup pass runs during the test.
    const { exitCode, stderr } = await runDaemonUntilFirstPass(['--schedule', '0 0 1 1 *', ...ca], {
      timeoutMs: 60_000,
      atFirstPass: () => undefined,
    });
    expect(exitCode).toBe(0);

    const lines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; checked?: number; notDue?: number });
    expect(lines.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        'Renewal daemon started',
        'Renewal check finished',
        'Renewal pass finished',
        'Stopping the renewal daemon',
        'Renewal daemon stopped',
      ]),
    );
    // One summary line for the pass, not one line per certificate.
    expect(lines.find((l) => l.message === 'Renewal check finished')).toMatchObject({ checked: 1, notDue: 1 });
    expect(lines.filter((l) => l.message === 'Not due')).toEqual([]);
  });

  // A bad flag is refused by the daemon's own parser; a bad value by the start-up pass, whose
  // exit 2 stops the daemon (a retry could not fix it).
  test.each<[string, string[], string[]]>([
    [
      'a directory URL that is not https',
      ['--directory', 'ftp://ca.example.test/dir'],
      [
        'Invalid --directory "ftp://ca.example.test/dir"',
        'The start-up renewal pass rejected the command line or configuration',
      ],
    ],
    ['an unknown flag', ['--no-such-flag'], ["error: unknown option '--no-such-flag'"]],
  ])('acme daemon exits 2 at start on %s', async (_label, bad, messages) => {
    const run = await runAcme(['daemon', '--schedule', '0 0 1 1 *', '--home', home, ...bad], { timeoutMs: 30_000 });
    expect([run.code, ...messages.map((message) => run.stderr.includes(message))]).toEqual([
      2,
      ...messages.map(() => true),
    ]);
  });
});
