import { fixedClock } from '../../../src/clock';
import { accountKeyThumbprint } from '../../../src/acme';
import { AcmeError, ConfigError } from '../../../src/errors';
import { accountShow, rolloverAccount, type AccountDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { MemoryAccountKeyStage, MemoryCertificateStore } from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { FakeCa } from './_fakeCa';

const DIRECTORY = 'https://ca.example.test/dir';
const URL_1 = 'https://ca.example.test/acct/1';
const OLD_KEY = certs.ecLeafKey;
const NEW_KEY = certs.ecLeaf2Key;

async function setup(options: { account?: boolean; email?: string } = {}) {
  const store = new MemoryCertificateStore();
  if (options.account !== false) {
    await store.saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: URL_1,
      keyPem: OLD_KEY,
      createdAt: '2026-11-27T10:00:00.000Z',
      ...(options.email ? { email: options.email } : {}),
    });
  }
  const ca = new FakeCa();
  ca.accounts.set(OLD_KEY, URL_1);
  const keyStage = new MemoryAccountKeyStage(store);
  const deps: AccountDeps = {
    directoryUrl: DIRECTORY,
    store,
    keyStage,
    acmeFor: (key) => ca.client(key),
    clock: fixedClock(new Date()),
    logger: new CapturingLogger(),
  };
  return { deps, ca, store, keyStage };
}

describe('accountShow()', () => {
  test('accountShow() reports URL, contact, key type and thumbprint, and asks the CA whether it knows the key', async () => {
    const { deps } = await setup({ email: 'admin@example.com' });
    const summary = await accountShow(deps);
    expect(summary).toEqual({
      directoryUrl: DIRECTORY,
      accountUrl: URL_1,
      contact: ['mailto:admin@example.com'],
      createdAt: '2026-11-27T10:00:00.000Z',
      keyType: 'ec256',
      keyThumbprint: accountKeyThumbprint(OLD_KEY),
      pendingRollover: false,
      registeredAtCa: true,
    });
    expect(JSON.stringify(summary)).not.toContain('PRIVATE KEY');
  });

  test.each<[string, (s: Awaited<ReturnType<typeof setup>>) => Promise<void>, { offline?: boolean }, object, string[]]>(
    [
      ['offline: no request', async () => undefined, { offline: true }, { registeredAtCa: null }, []],
      [
        'a key the CA forgot',
        async ({ ca }) => void ca.accounts.clear(),
        {},
        { registeredAtCa: false },
        ['lookupAccount unknown'],
      ],
      [
        'an interrupted rollover',
        async ({ keyStage }) => keyStage.stage(DIRECTORY, NEW_KEY),
        {},
        { pendingRollover: true },
        [`lookupAccount ${URL_1}`],
      ],
    ],
  )('accountShow() with %s', async (_label, arrange, options, expected, calls) => {
    const state = await setup();
    await arrange(state);
    expect(await accountShow(state.deps, options)).toMatchObject(expected);
    expect(state.ca.calls).toEqual(calls);
  });

  test('accountShow() resolves undefined when no account is stored', async () => {
    const { deps } = await setup({ account: false });
    expect(await accountShow(deps)).toBeUndefined();
  });
});

describe('rolloverAccount()', () => {
  test('rolloverAccount() stages the new key, rolls over at the CA, promotes it, and checks the CA knows it', async () => {
    const { deps, ca, store, keyStage } = await setup();
    const result = await rolloverAccount(deps, { createKey: async () => NEW_KEY });
    expect(result).toEqual({
      directoryUrl: DIRECTORY,
      accountUrl: URL_1,
      previousKeyThumbprint: accountKeyThumbprint(OLD_KEY),
      keyThumbprint: accountKeyThumbprint(NEW_KEY),
      keyType: 'ec256',
      recovered: false,
    });
    expect([(await store.loadAccount(DIRECTORY))?.keyPem, await keyStage.staged(DIRECTORY), [...ca.accounts]]).toEqual([
      NEW_KEY,
      undefined,
      [[NEW_KEY, URL_1]],
    ]);
    expect(ca.calls).toEqual([`lookupAccount ${URL_1}`, 'rolloverAccountKey', `lookupAccount ${URL_1}`]);
  });

  test('rolloverAccount() creates an ECDSA P-256 key by default', async () => {
    const { deps } = await setup();
    expect((await rolloverAccount(deps)).keyType).toBe('ec256');
  });

  test('rolloverAccount() saved the new key before the CA switched: a lost response leaves it staged, and the next run finishes', async () => {
    const { deps, ca, store, keyStage } = await setup();
    ca.rolloverFailure = {
      error: new AcmeError('ACME_TIMEOUT', 'Cannot roll over the ACME account key: timed out', { retryable: true }),
      applyFirst: true,
    };
    await expect(rolloverAccount(deps, { createKey: async () => NEW_KEY })).rejects.toThrow('timed out');
    expect([(await store.loadAccount(DIRECTORY))?.keyPem, await keyStage.staged(DIRECTORY)]).toEqual([
      OLD_KEY,
      NEW_KEY,
    ]);

    const result = await rolloverAccount(deps, { createKey: async () => certs.ec384Key });
    expect([
      result.recovered,
      result.keyThumbprint,
      (await store.loadAccount(DIRECTORY))?.keyPem,
      await keyStage.staged(DIRECTORY),
    ]).toEqual([true, accountKeyThumbprint(NEW_KEY), NEW_KEY, undefined]);
  });

  test('rolloverAccount() recovers the original account when "acme issue" re-registered the old key after an interrupted rollover', async () => {
    const { deps, ca, store, keyStage } = await setup();
    await keyStage.stage(DIRECTORY, NEW_KEY);
    ca.accounts.clear();
    ca.accounts.set(NEW_KEY, URL_1);
    ca.accounts.set(OLD_KEY, 'https://ca.example.test/acct/2');
    await store.saveAccount({ ...(await store.loadAccount(DIRECTORY))!, accountUrl: 'https://ca.example.test/acct/2' });

    const result = await rolloverAccount(deps);

    expect([result.recovered, result.accountUrl, await store.loadAccount(DIRECTORY)]).toEqual([
      true,
      URL_1,
      expect.objectContaining({ keyPem: NEW_KEY, accountUrl: URL_1 }),
    ]);
  });

  test('rolloverAccount() discards a staged key the CA never accepted and rolls over again', async () => {
    const { deps, store, keyStage } = await setup();
    await keyStage.stage(DIRECTORY, certs.ec384Key);
    const result = await rolloverAccount(deps, { createKey: async () => NEW_KEY });
    expect([result.recovered, (await store.loadAccount(DIRECTORY))?.keyPem]).toEqual([false, NEW_KEY]);
  });

  test('rolloverAccount() discards the staged key when the CA refuses with a problem, and keeps the old key', async () => {
    const { deps, ca, store, keyStage } = await setup();
    ca.rolloverFailure = {
      error: new AcmeError('ACME_PROBLEM', 'Cannot roll over the ACME account key: key in use'),
      applyFirst: false,
    };
    await expect(rolloverAccount(deps, { createKey: async () => NEW_KEY })).rejects.toThrow('key in use');
    expect([(await store.loadAccount(DIRECTORY))?.keyPem, await keyStage.staged(DIRECTORY)]).toEqual([
      OLD_KEY,
      undefined,
    ]);
  });

  test('rolloverAccount() refuses when the CA does not know the stored key, before making a key', async () => {
    const { deps, ca } = await setup();
    ca.accounts.clear();
    let created = false;
    const error = await rolloverAccount(deps, { createKey: async () => ((created = true), NEW_KEY) }).catch(
      (e: unknown) => e,
    );
    expect([(error as Error).message, created]).toEqual([
      `Cannot roll over the ACME account key: the CA at "${DIRECTORY}" does not know the stored key as "${URL_1}"; the account may have been deactivated or rolled over elsewhere`,
      false,
    ]);
  });

  test('rolloverAccount() without a stored account is a configuration error naming --directory', async () => {
    const { deps } = await setup({ account: false });
    await expect(rolloverAccount(deps)).rejects.toThrow(
      new ConfigError(
        `Cannot roll over the ACME account key: no ACME account for "${DIRECTORY}" is stored in --home; "acme issue" registers one, or pass the --directory it was registered with`,
      ),
    );
  });
});
