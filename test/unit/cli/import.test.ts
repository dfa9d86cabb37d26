/** `acme import lego` through the real CLI and config, reading the real lego fixture, into in-memory stores. */
import { runCli, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { StorageError } from '../../../src/errors';
import { LegoDirectoryReader } from '../../../src/migration';
import { MemoryCertificateStore, MemoryRenewalStateStore, type SaveCertificateInput } from '../../../src/storage';
import { cliHarness } from './_harness';
import { ADMIN_ACCOUNT_URL, LEGO_DIRECTORY, LEGO_FIXTURE, LEGO_NOW, ONE_SERIAL, TWO_SERIAL } from '../migration/_lego';

const COMMON = ['--home', '/srv/acme', '--directory', LEGO_DIRECTORY];

function harness(store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(LEGO_NOW) })) {
  const renewalState = new MemoryRenewalStateStore();
  const cli = cliHarness(
    { store, renewalState, legoReader: new LegoDirectoryReader() },
    { clock: fixedClock(LEGO_NOW) },
  );
  return { ...cli, store, renewalState };
}

describe('runCli() import lego', () => {
  test.each([
    [['import', 'lego', '--help'], '$ acme import lego --path /var/snap/immich-distribution/common/lego --dry-run'],
    [['import', 'lego', '--help'], 'one invalid file means nothing is written (exit 2)'],
    [['import', '--help'], "adopt a lego directory's account and certificates"],
    [['--help'], '$ acme import lego --path'],
  ])('runCli(%j) prints help with examples', async (argv, expected) => {
    const { deps, stdout } = harness();
    expect([await runCli(argv, deps), stdout()]).toEqual([EXIT_OK, expect.stringContaining(expected)]);
  });

  test('runCli() import lego --json adopts the account and certificates and prints a versioned document without keys', async () => {
    const { deps, stdout, store } = harness();
    const code = await runCli(['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON, '--json'], deps);
    const document = JSON.parse(stdout());
    expect({
      code,
      schemaVersion: document.schemaVersion,
      ok: document.ok,
      account: [document.import.account.outcome, document.import.account.accountUrl, document.import.account.chosenBy],
      certificates: document.import.certificates.map((c: { legoName: string; outcome: string; serial?: string }) => [
        c.legoName,
        c.outcome,
        c.serial,
      ]),
      stored: [(await store.loadAccount(LEGO_DIRECTORY))?.accountUrl, store.certificates.size],
      keyInOutput: stdout().includes('PRIVATE KEY'),
    }).toEqual({
      code: EXIT_OK,
      schemaVersion: 1,
      ok: true,
      account: ['imported', ADMIN_ACCOUNT_URL, 'first'],
      certificates: [
        ['one.example.test', 'imported', ONE_SERIAL],
        ['two.example.test', 'imported', TWO_SERIAL],
        ['*.wild.example.test', 'skipped', '0AFBA6DA525BE81B'],
      ],
      stored: [ADMIN_ACCOUNT_URL, 2],
      keyInOutput: false,
    });
  });

  test('runCli() import lego twice says "already imported" the second time and saves nothing', async () => {
    const { deps, stdout, store } = harness();
    await runCli(['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON], deps);
    const first = stdout();
    const saves = store.saves;
    expect(await runCli(['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON], deps)).toBe(EXIT_OK);
    const second = stdout().slice(first.length);
    expect([store.saves - saves, second.split('\n').slice(1, 5)]).toEqual([
      0,
      [
        `Account: "${ADMIN_ACCOUNT_URL}" (admin@example.test, ec256, from accounts/127.0.0.1_33595/admin@example.test): already imported: --home uses this account; chosen as the first of several (others: other@example.test; pick one with --email)`,
        expect.stringMatching(/^NAME +LEGO NAME +RESULT +SERIAL +NOT AFTER +RENEWAL DUE +DETAIL$/),
        expect.stringMatching(
          /^one\.example\.test +one\.example\.test +already imported +11A7BCC9AF5E90C8 +2031-11-27T02:58:28\.000Z +- +already imported: --home holds this certificate$/,
        ),
        expect.stringMatching(/^two\.example\.test +two\.example\.test +already imported +055AFBACC785DA4F /),
      ],
    ]);
  });

  test('runCli() import lego --dry-run writes nothing and says so', async () => {
    const { deps, stdout, store } = harness();
    expect([
      await runCli(['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON, '--dry-run'], deps),
      store.saves,
      store.accounts.size,
      stdout().split('\n')[0],
    ]).toEqual([
      EXIT_OK,
      0,
      0,
      `Dry run: nothing written. lego directory "${LEGO_FIXTURE}" into --home "/srv/acme" for "${LEGO_DIRECTORY}"`,
    ]);
  });

  test.each([
    [['import', 'lego', ...COMMON], 'Error: Missing --path: --home "/srv/acme" holds no lego files to adopt in place'],
    [
      ['import', 'lego', '--path', '/nonexistent/lego', ...COMMON],
      'Error: Cannot import lego directory "/nonexistent/lego": it does not exist',
    ],
    [
      ['import', 'lego', '--path', '/srv/acme/lego', ...COMMON],
      'Error: Cannot import lego directory "/srv/acme/lego": it overlaps --home "/srv/acme", and their files would mix; move the lego directory aside first',
    ],
    [
      ['import', 'lego', '--path', '/srv', ...COMMON],
      'Error: Cannot import lego directory "/srv": it overlaps --home "/srv/acme"',
    ],
    [
      ['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON, '--email', 'nobody@example.test'],
      'there is no lego account "nobody@example.test" for "127.0.0.1:33595"',
    ],
    [['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON, '--email', 'not an email'], 'Error: '],
  ])('runCli(%j) is bad input: exit 2, nothing written', async (argv, message) => {
    const { deps, stderr, store } = harness();
    expect([await runCli(argv, deps), stderr(), store.saves, store.accounts.size]).toEqual([
      EXIT_BAD_INPUT,
      expect.stringContaining(message),
      0,
      0,
    ]);
  });

  test('runCli() import lego exits 1 when a certificate cannot be saved, after importing the rest', async () => {
    class FailingStore extends MemoryCertificateStore {
      override async saveCertificate(input: SaveCertificateInput) {
        if (input.name === 'two.example.test')
          throw new StorageError('STORAGE_IO', 'Cannot write "/srv/acme/x": ENOSPC: no space left on device', {
            path: '/srv/acme/x',
          });
        return super.saveCertificate(input);
      }
    }
    const { deps, stderr, store } = harness(new FailingStore({ home: '/srv/acme', clock: fixedClock(LEGO_NOW) }));
    expect([
      await runCli(['import', 'lego', '--path', LEGO_FIXTURE, ...COMMON], deps),
      store.certificates.size,
      stderr(),
    ]).toEqual([
      EXIT_FAILED,
      1,
      expect.stringContaining('Error: Some lego certificates were not imported or not deployed'),
    ]);
  });
});
