/** `acme revoke`, `acme remove` and `acme account` through the real CLI and config, with in-memory adapters. */
import { X509Certificate } from 'node:crypto';
import { runCli, EXIT_OK, EXIT_BAD_INPUT } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import {
  MemoryAccountKeyStage,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { cliHarness } from './_harness';
import { certs } from '../../fixtures/certs';
import { FakeCa } from '../issuance/_fakeCa';

const DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
const URL_1 = 'https://acme-v02.api.letsencrypt.org/acme/acct/1';
const SERIAL = new X509Certificate(certs.ecLeaf).serialNumber.toUpperCase();

async function harness() {
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(new Date('2026-11-27T00:00:00Z')) });
  await store.saveCertificate({
    name: 'site.example.com',
    certPem: certs.ecLeaf,
    chainPem: certs.ecIntermediate,
    keyPem: certs.ecLeafKey,
    meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
  });
  await store.saveAccount({
    directoryUrl: DIRECTORY,
    accountUrl: URL_1,
    keyPem: certs.ecLeaf2Key,
    createdAt: '2026-11-01T00:00:00.000Z',
    email: 'admin@example.com',
  });
  const ca = new FakeCa();
  ca.accounts.set(certs.ecLeaf2Key, URL_1);
  const renewalState = new MemoryRenewalStateStore();
  const deployState = new MemoryDeployStateStore();
  const cli = cliHarness({
    store,
    deployState,
    renewalState,
    acmeFor: (key) => ca.client(key) as never,
    accountKeyStage: new MemoryAccountKeyStage(store),
  });
  return { ...cli, store, ca };
}

describe('runCli() lifecycle commands', () => {
  test.each([
    [['revoke', '--help'], '$ acme revoke --name photos.example.com --reason superseded'],
    [['remove', '--help'], 'If one HAProxy fails, nothing on disk changes'],
    [['account', 'show', '--help'], 'never the key'],
    [['account', 'rollover', '--help'], '.account.key.pem.next'],
  ])('runCli(%j) prints help with examples', async (argv, expected) => {
    const { deps, stdout } = await harness();
    expect(await runCli(argv, deps)).toBe(EXIT_OK);
    expect(stdout()).toContain(expected);
  });

  test.each([
    [['revoke'], 'Error: Missing --name: acme revoke needs the certificate name, as "acme list" shows it'],
    [['remove'], 'Error: Missing --name: acme remove needs the certificate name, as "acme list" shows it'],
    [
      ['revoke', '--name', 'site.example.com', '--reason', 'bored'],
      "argument 'bored' is invalid. Allowed choices are unspecified, keyCompromise, superseded, cessationOfOperation.",
    ],
    [['revoke', '--name', '../etc'], 'Invalid --name "../etc"'],
  ])('runCli(%j) is bad input: exit 2', async (argv, message) => {
    const { deps, stderr, ca } = await harness();
    expect(await runCli(argv, deps)).toBe(EXIT_BAD_INPUT);
    expect([stderr(), ca.revoked.size]).toEqual([expect.stringContaining(message), 0]);
  });

  test('acme revoke --json revokes with the reason code and prints the record', async () => {
    const { deps, stdout, ca } = await harness();
    expect(await runCli(['revoke', '--name', 'site.example.com', '--reason', 'keyCompromise', '--json'], deps)).toBe(
      EXIT_OK,
    );
    expect(JSON.parse(stdout())).toEqual({
      schemaVersion: 1,
      ok: true,
      revoked: {
        name: 'site.example.com',
        serial: SERIAL,
        directoryUrl: DIRECTORY,
        accountUrl: URL_1,
        reason: 'keyCompromise',
        reasonCode: 1,
        revokedAt: '2026-11-27T00:00:00.000Z',
      },
    });
    expect([...ca.revoked]).toEqual([[SERIAL, 1]]);
  });

  test('acme remove archives the certificate and says where', async () => {
    const { deps, stdout, store } = await harness();
    expect(await runCli(['remove', '--name', 'site.example.com'], deps)).toBe(EXIT_OK);
    expect(stdout()).toBe(
      'Removed "site.example.com"\n  files: archived in "/srv/acme/archive/site.example.com-20261127T000000Z"\n',
    );
    expect(await store.listCertificateNames()).toEqual([]);
  });

  test('acme account show prints the account without the key', async () => {
    const { deps, stdout } = await harness();
    expect(await runCli(['account', 'show'], deps)).toBe(EXIT_OK);
    expect(stdout()).toContain(`Account         ${URL_1}`);
    expect(stdout()).toContain('Contact         mailto:admin@example.com');
    expect(stdout()).toContain('At the CA       registered');
    expect(stdout()).not.toContain('PRIVATE KEY');
  });

  test('acme account show --json for a directory without an account prints account null', async () => {
    const { deps, stdout } = await harness();
    expect(await runCli(['account', 'show', '--json', '--offline', '--directory', 'letsencrypt-staging'], deps)).toBe(
      EXIT_OK,
    );
    expect(JSON.parse(stdout())).toEqual({ schemaVersion: 1, ok: true, account: null });
  });

  test('acme account rollover replaces the stored key', async () => {
    const { deps, stdout, store } = await harness();
    expect(await runCli(['account', 'rollover'], deps)).toBe(EXIT_OK);
    expect(stdout()).toMatch(new RegExp(`^Rolled over the key of "${URL_1}": thumbprint \\S+ -> \\S+ \\(ec256\\)\\n$`));
    expect((await store.loadAccount(DIRECTORY))?.keyPem).not.toBe(certs.ecLeaf2Key);
  });
});
