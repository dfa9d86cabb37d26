/**
 * A setting cannot add a directive to a rendered HAProxy configuration, against the built CLI, the real
 * snap hooks and wrapper (in a fake $SNAP with the stand-in snapctl, see test/fixtures/snap/primeTree.ts)
 * and the real HAProxy. The value under test puts a newline into the responder's unix socket path so
 * that, rendered as `server acme unix@<path>`, it would open a second, unauthenticated admin socket on
 * 127.0.0.1. Every listener here binds to 127.0.0.1; every child is bounded in time.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { snapLayout, type SnapLayout } from '../../src/snap';
import { freePorts } from '../peers/_ports';
import { spawnTracked, stopChild, type TrackedChild } from '../peers/_process';
import { canConnect, waitForReady } from '../peers/_wait';
import { createFakeSnap, requireBuiltCli, type FakeSnap } from '../fixtures/snap/primeTree';
import { runFile, type FileRun as Run } from '../fixtures/snap/runFile';
import { checkHaproxyConfig } from './_support/haproxyCheck';
import { runAcme } from './_support/runAcme';

/** A snap command fails fast on a bad option; this bounds a regression that would start HAProxy instead. */
const CHILD_TIMEOUT_MS = 20_000;
const run = (file: string, args: string[], env: Record<string, string>): Promise<Run> =>
  runFile(file, args, env, CHILD_TIMEOUT_MS);

const statsSocketLines = (text: string): string[] =>
  text.split('\n').filter((line) => /^\s*stats\s+socket\b/.test(line));

const RULE = 'use printable ASCII without spaces, "#", quotes, "\\" or "$"';
const NEWLINE_PROBLEM =
  "the socket path cannot go into HAProxy's configuration: it contains a newline, which HAProxy would not read as part of one word";

describe('a responder socket path that would add a HAProxy directive', () => {
  let fake: FakeSnap;
  let layout: SnapLayout;
  let adminPort: number;
  let httpPort: number;
  let acmePort: number;
  let attack: string;
  let options: Record<string, unknown>;
  let haproxy: TrackedChild | undefined;

  beforeAll(async () => {
    requireBuiltCli();
    [adminPort, httpPort, acmePort] = (await freePorts(3)) as [number, number, number];
    attack = `unix:/a\nglobal\nstats socket ipv4@127.0.0.1:${adminPort} level admin`;
    fake = await createFakeSnap();
    layout = snapLayout({ SNAP_DATA: fake.data, SNAP_COMMON: fake.common });
    options = { 'acme-port': acmePort, 'haproxy-http-bind': `127.0.0.1:${httpPort}`, 'acme-http-address': attack };
    await fake.setOptions(options);
    const install = await run(join(fake.snap, 'meta', 'hooks', 'install'), [], fake.env);
    expect(install).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  afterAll(async () => {
    if (haproxy !== undefined) await stopChild(haproxy);
    await fake?.remove();
  });

  test('the configure hook refuses it with exit 2, names acme-http-address and what to fix, and sets nothing', async () => {
    const configure = await run(join(fake.snap, 'meta', 'hooks', 'configure'), [], fake.env);
    expect(configure).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `Invalid snap option acme-http-address ${JSON.stringify(attack)}: ${NEWLINE_PROBLEM}; ${RULE}\n` +
        'Cannot apply the snap options; nothing was changed: 1 option is invalid\n',
    });
    expect((await fake.calls()).map((call) => call[0])).toEqual(['get']);
    expect(await fake.options()).toEqual(options);
  });

  test('the haproxy service refuses it too, writes no haproxy.cfg and opens no admin socket on the port it names', async () => {
    const service = await run(join(fake.snap, 'bin', 'haproxy-wrapper'), [], await fake.appEnv('haproxy'));
    expect([service.code, service.stderr]).toEqual([
      2,
      expect.stringContaining(`Invalid snap option acme-http-address ${JSON.stringify(attack)}: `),
    ]);
    await expect(stat(layout.haproxyConfig)).rejects.toThrow('ENOENT');
    expect(await canConnect(adminPort)).toBe(false);
  });

  test('with a one-word socket path the rendered configuration passes "haproxy -c" without any warning, and HAProxy opens only its own admin socket', async () => {
    const path = join(fake.common, 'http.sock');
    await fake.setOptions({ ...options, 'acme-http-address': `unix:${path}` });
    const configure = await run(join(fake.snap, 'meta', 'hooks', 'configure'), [], fake.env);
    expect([configure.code, configure.stderr]).toEqual([0, '']);

    haproxy = spawnTracked('snap-haproxy', [join(fake.snap, 'bin', 'haproxy-wrapper')], {
      env: await fake.appEnv('haproxy'),
    });
    await waitForReady(haproxy, { what: `its HTTP port ${httpPort}`, ready: () => canConnect(httpPort) });
    const text = await readFile(layout.haproxyConfig, 'utf8');
    const checked = await checkHaproxyConfig(layout.haproxyConfig);
    expect({ code: checked.code, warnings: checked.warnings, alerts: checked.alerts }).toEqual({
      code: 0,
      warnings: [],
      alerts: [],
    });
    expect(statsSocketLines(text)).toEqual([
      `    stats socket ${layout.adminSocket} mode 600 level admin expose-fd listeners`,
    ]);
    expect(text.split('\n').filter((line) => line.includes('server acme'))).toEqual([`    server acme unix@${path}`]);
    expect(await canConnect(adminPort)).toBe(false);
  });
});

describe('acme haproxy-config with a responder socket path that would add a HAProxy directive', () => {
  const attack = 'unix:/a\nglobal\nstats socket ipv4@127.0.0.1:9 level admin';

  test.each<[string, string[], Record<string, string>, string]>([
    [
      '--http-address',
      ['--http-address', attack],
      {},
      `Invalid --http-address ${JSON.stringify(attack)}: ${NEWLINE_PROBLEM}; ${RULE}`,
    ],
    [
      'ACME_HTTP_ADDRESS',
      [],
      { ACME_HTTP_ADDRESS: attack },
      `Invalid ACME_HTTP_ADDRESS ${JSON.stringify(attack)}: ${NEWLINE_PROBLEM}; ${RULE}`,
    ],
  ])(
    'acme haproxy-config refuses it from %s with exit 2 and prints no configuration',
    async (_source, args, env, message) => {
      const result = await runAcme(['haproxy-config', '--home', '/nonexistent/acme', ...args], {
        env,
        timeoutMs: CHILD_TIMEOUT_MS,
      });
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toContain(message);
      expect(statsSocketLines(result.stderr)).toEqual([]);
    },
  );
});
