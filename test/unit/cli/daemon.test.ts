import { runCli, EXIT_OK } from '../../../src/cli';
import { followArguments, renewArguments } from '../../../src/cli/daemon';
import { cliHarness } from './_harness';

const NEXT = new Date('2026-11-27T01:17:00Z');

describe('renewArguments()', () => {
  test.each([
    [['daemon'], ['renew', '--until', '2026-11-27T01:17:00.000Z']],
    [
      ['daemon', '--schedule', '0 * * * *', '--home', '/h'],
      ['renew', '--home', '/h', '--until', '2026-11-27T01:17:00.000Z'],
    ],
    [
      ['daemon', '--schedule=0 * * * *', '-d', 'a.example'],
      ['renew', '-d', 'a.example', '--until', '2026-11-27T01:17:00.000Z'],
    ],
    [
      ['--json', 'daemon', '--name-of', 'daemon'],
      ['--json', 'renew', '--name-of', 'daemon', '--until', '2026-11-27T01:17:00.000Z'],
    ],
  ])('renewArguments(%j) is %j', (argv, expected) => {
    expect(renewArguments(argv, NEXT)).toEqual(expected);
  });
});

describe('followArguments()', () => {
  test.each([
    [['daemon'], ['sync', '--follow', '--if-shared']],
    [
      ['daemon', '--schedule', '0 * * * *', '--storage', 'postgres://db/acme', '--node', 'edge-2'],
      ['sync', '--storage', 'postgres://db/acme', '--node', 'edge-2', '--follow', '--if-shared'],
    ],
    [
      ['--home', '/srv/acme', 'daemon', '--schedule=17 * * * *', '--http01-mode', 'shared'],
      ['--home', '/srv/acme', 'sync', '--http01-mode', 'shared', '--follow', '--if-shared'],
    ],
    // An option value that happens to be "daemon" or "renew" keeps its place; only the verb changes.
    [
      ['daemon', '--node', 'renew'],
      ['sync', '--node', 'renew', '--follow', '--if-shared'],
    ],
    [
      ['--schedule', '0 * * * *', '--node', 'renew', 'daemon'],
      ['--node', 'renew', 'sync', '--follow', '--if-shared'],
    ],
  ])('followArguments(%j) is %j', (argv, expected) => {
    expect(followArguments(argv)).toEqual(expected);
  });
});

describe('acme daemon', () => {
  test('acme daemon runs each pass as a child "acme renew --until <next check>" and exits 0 on shutdown', async () => {
    const passes: string[][] = [];
    const { deps, stdout } = cliHarness(
      {},
      {
        runSelf: async (args) => {
          passes.push(args);
          return EXIT_OK;
        },
        waitForShutdown: () => new Promise((resolve) => setTimeout(() => resolve('SIGTERM'), 50)),
      },
    );
    const argv = ['daemon', '--schedule', '0 0 1 1 *', '--home', '/srv/acme'];
    expect(await runCli(argv, deps)).toBe(EXIT_OK);
    expect(passes).toHaveLength(1);
    expect(passes[0]!.slice(0, 4)).toEqual(['renew', '--home', '/srv/acme', '--until']);
    expect(new Date(passes[0]![4]!).getUTCMonth()).toBe(0);
    expect(stdout()).toBe('');
  });
});
