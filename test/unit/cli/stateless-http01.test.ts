/**
 * --http01-mode stateless through the real CLI and config, with in-memory adapters:
 * `acme haproxy-config` prints the lines for the stored account's thumbprint (and refuses without
 * an account), `acme account register` stores one without ordering, and `acme account rollover`
 * prints the lines of the new key.
 */
import { accountKeyThumbprint } from '../../../src/acme';
import { EXIT_BAD_INPUT, EXIT_OK, runCli } from '../../../src/cli';
import { statelessHttp01Lines } from '../../../src/challenge';
import { MemoryAccountKeyStage, MemoryCertificateStore } from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { FakeCa } from '../issuance/_fakeCa';
import { cliHarness } from './_harness';

const DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
const URL_1 = 'https://acme-v02.api.letsencrypt.org/acme/acct/1';
const THUMBPRINT = accountKeyThumbprint(certs.ecLeaf2Key);

async function harness(options: { account: boolean }) {
  const store = new MemoryCertificateStore({ home: '/srv/acme' });
  if (options.account) {
    await store.saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: URL_1,
      keyPem: certs.ecLeaf2Key,
      createdAt: '2026-11-01T00:00:00.000Z',
    });
  }
  const ca = new FakeCa();
  ca.accounts.set(certs.ecLeaf2Key, URL_1);
  const registered: string[] = [];
  const acmeFor = (keyPem: string) => ({
    ...ca.client(keyPem),
    ensureAccount: async (input: { email?: string }) => {
      registered.push(input.email ?? '');
      ca.accounts.set(keyPem, URL_1);
      return URL_1;
    },
  });
  const cli = cliHarness({
    store,
    acmeFor: acmeFor as never,
    accountKeyStage: new MemoryAccountKeyStage(store),
  });
  return { ...cli, store, registered };
}

describe('acme haproxy-config --http01-mode stateless', () => {
  test('acme haproxy-config --http01-mode stateless answers in the HTTP frontend with the account thumbprint, and routes nothing to a responder', async () => {
    const { deps, stdout } = await harness({ account: true });
    expect(await runCli(['haproxy-config', '--http01-mode', 'stateless'], deps)).toBe(EXIT_OK);
    const frontend = stdout().split('frontend http\n')[1]!.split('\n\n')[0]!;
    expect(frontend.split('\n').filter((line) => !line.startsWith('    #'))).toEqual([
      '    bind :80',
      ...statelessHttp01Lines(THUMBPRINT).map((line) => `    ${line}`),
      '    http-request redirect scheme https code 301',
    ]);
    expect(stdout()).not.toMatch(/backend acme_challenge|server acme /);
  });

  test('acme haproxy-config --http01-mode stateless --json includes the thumbprint and the lines', async () => {
    const { deps, stdout } = await harness({ account: true });
    expect(await runCli(['haproxy-config', '--http01-mode', 'stateless', '--json'], deps)).toBe(EXIT_OK);
    const document = JSON.parse(stdout()) as Record<string, unknown>;
    expect({ ...document, haproxyConfig: typeof document.haproxyConfig }).toEqual({
      schemaVersion: 1,
      ok: true,
      haproxyConfig: 'string',
      thumbprint: THUMBPRINT,
      lines: statelessHttp01Lines(THUMBPRINT),
    });
  });

  test('acme haproxy-config --http01-mode stateless without a stored account exits 2 and says how to register one', async () => {
    const { deps, stdout, stderr } = await harness({ account: false });
    expect(await runCli(['haproxy-config', '--http01-mode', 'stateless'], deps)).toBe(EXIT_BAD_INPUT);
    expect([stdout(), stderr()]).toEqual([
      '',
      expect.stringContaining(
        `Cannot print the stateless HTTP-01 lines: no ACME account for "${DIRECTORY}" is stored yet, and HAProxy answers with its key's thumbprint; register one with "acme account register" (same --directory and storage), then run this again`,
      ),
    ]);
  });

  test('acme haproxy-config in local mode needs no account and prints the route to the responder, as before', async () => {
    const { deps, stdout } = await harness({ account: false });
    expect(await runCli(['haproxy-config'], deps)).toBe(EXIT_OK);
    expect(stdout()).toContain(
      '    # haproxy-acme listens only while an order is in flight; HAProxy answers 503 in between.\n    timeout connect 1s\n    server acme 127.0.0.1:34000\n',
    );
    expect(stdout()).not.toContain('http-request return');
  });

  test('acme haproxy-config --http01-mode shared routes to the responder "acme daemon" keeps on', async () => {
    const { deps, stdout } = await harness({ account: false });
    expect(
      await runCli(['haproxy-config', '--http01-mode', 'shared', '--storage', 'postgres://acme@db.example/acme'], deps),
    ).toBe(EXIT_OK);
    expect(stdout()).toContain(
      '    # "acme daemon" keeps it listening on every node (--http01-mode shared).\n    timeout connect 1s\n    server acme 127.0.0.1:34000\n',
    );
  });
});

describe('acme account register', () => {
  test('acme account register registers and stores an account without ordering, printing its thumbprint', async () => {
    const { deps, stdout, store, registered } = await harness({ account: false });
    expect(await runCli(['account', 'register', '--email', 'admin@example.com'], deps)).toBe(EXIT_OK);
    const account = await store.loadAccount(DIRECTORY);
    expect([registered, account?.accountUrl, account?.email, stdout()]).toEqual([
      ['admin@example.com'],
      URL_1,
      'admin@example.com',
      `Registered "${URL_1}" at "${DIRECTORY}", key thumbprint ${accountKeyThumbprint(account!.keyPem)}\n`,
    ]);
    expect(stdout()).not.toContain('PRIVATE KEY');
  });

  test('acme account register --json with an account stored sends nothing and keeps the key', async () => {
    const { deps, stdout, store, registered } = await harness({ account: true });
    expect(await runCli(['account', 'register', '--json'], deps)).toBe(EXIT_OK);
    expect([registered, (await store.loadAccount(DIRECTORY))?.keyPem, JSON.parse(stdout())]).toEqual([
      [],
      certs.ecLeaf2Key,
      {
        schemaVersion: 1,
        ok: true,
        account: { directoryUrl: DIRECTORY, accountUrl: URL_1, registered: false, keyThumbprint: THUMBPRINT },
      },
    ]);
  });
});

describe('acme account rollover --http01-mode stateless', () => {
  test('acme account rollover --http01-mode stateless prints the lines of the new thumbprint to install', async () => {
    const { deps, stdout, store } = await harness({ account: true });
    expect(await runCli(['account', 'rollover', '--http01-mode', 'stateless'], deps)).toBe(EXIT_OK);
    const next = accountKeyThumbprint((await store.loadAccount(DIRECTORY))!.keyPem);
    expect(next).not.toBe(THUMBPRINT);
    expect(stdout()).toBe(
      [
        `Rolled over the key of "${URL_1}": thumbprint ${THUMBPRINT} -> ${next} (ec256)`,
        'HAProxy answers HTTP-01 (--http01-mode stateless): replace the acme-challenge lines of its HTTP frontend with these, then reload it:',
        ...statelessHttp01Lines(next).map((line) => `    ${line}`),
        '',
      ].join('\n'),
    );
  });

  test('acme account rollover --json --http01-mode stateless includes the new thumbprint and lines', async () => {
    const { deps, stdout, store } = await harness({ account: true });
    expect(await runCli(['account', 'rollover', '--http01-mode', 'stateless', '--json'], deps)).toBe(EXIT_OK);
    const next = accountKeyThumbprint((await store.loadAccount(DIRECTORY))!.keyPem);
    expect((JSON.parse(stdout()) as { stateless: unknown }).stateless).toEqual({
      thumbprint: next,
      lines: statelessHttp01Lines(next),
    });
  });

  test('acme account rollover in local mode prints no HAProxy lines', async () => {
    const { deps, stdout } = await harness({ account: true });
    expect(await runCli(['account', 'rollover'], deps)).toBe(EXIT_OK);
    expect(stdout()).not.toContain('http-request');
  });
});
