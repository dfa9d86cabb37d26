/**
 * The account part of the CertificateStore contract (loadAccount, saveAccount) as a reusable
 * suite: every backend's test file calls accountStoreContract() with a factory for a fresh store.
 * The account key is stored as given and never shows in an error message or a log line.
 */
import { AppError } from '../../src/errors';
import type { CertificateStore, StoredAccount } from '../../src/storage';
import { certs } from '../fixtures/certs';

/** A fresh, empty store; what it logged so far; how to drop it. */
export interface AccountStoreFixture {
  store: Pick<CertificateStore, 'loadAccount' | 'saveAccount'>;
  /** Every log line (message and fields) the store wrote, as text; '' for a store that does not log. */
  logged(): string;
  cleanup(): Promise<void>;
}

/** Options of accountStoreContract(). */
export interface AccountStoreContractOptions {
  /**
   * Damages the stored account of `directoryUrl` so that it cannot be read back (a truncated key,
   * say). Default: none (the backend has no way to hold a damaged account; those cases are skipped).
   */
  damage?: (fixture: AccountStoreFixture, directoryUrl: string) => Promise<void>;
}

const DIRECTORY = 'https://acme.example.test/directory';

function account(overrides: Partial<StoredAccount> = {}): StoredAccount {
  return {
    directoryUrl: DIRECTORY,
    accountUrl: 'https://acme.example.test/acct/1',
    email: 'admin@example.test',
    keyPem: certs.ecLeafKey,
    createdAt: '2026-11-27T00:00:00.000Z',
    ...overrides,
  };
}

/** The base64 body of a PEM key: what must never appear in a message or a log line. */
function keyBody(pem: string): string[] {
  return pem
    .split('\n')
    .filter((line) => line.length > 20 && !line.startsWith('-----'))
    .slice(0, 2);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

/** Registers the contract tests of loadAccount/saveAccount for one CertificateStore backend. */
export function accountStoreContract(
  name: string,
  make: () => Promise<AccountStoreFixture>,
  options: AccountStoreContractOptions = {},
): void {
  describe(`${name} (CertificateStore account contract)`, () => {
    let fixture: AccountStoreFixture;
    beforeEach(async () => {
      fixture = await make();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    test('loadAccount() of a directory with no account returns undefined', async () => {
      await expect(fixture.store.loadAccount(DIRECTORY)).resolves.toBeUndefined();
    });

    test('saveAccount() then loadAccount() returns the account, its key exactly as given', async () => {
      await fixture.store.saveAccount(account());
      await expect(fixture.store.loadAccount(DIRECTORY)).resolves.toEqual(account());
    });

    test('an account without an email round-trips without one', async () => {
      const { email: _email, ...withoutEmail } = account();
      await fixture.store.saveAccount(withoutEmail);
      await expect(fixture.store.loadAccount(DIRECTORY)).resolves.toEqual(withoutEmail);
    });

    test('saveAccount() replaces the account of the same directory (a key rollover)', async () => {
      await fixture.store.saveAccount(account());
      const rolled = account({ keyPem: certs.ec384Key, accountUrl: 'https://acme.example.test/acct/1' });
      await fixture.store.saveAccount(rolled);
      await expect(fixture.store.loadAccount(DIRECTORY)).resolves.toEqual(rolled);
    });

    test('accounts of two directories, on one host, are kept apart', async () => {
      const staging = account({
        directoryUrl: 'https://acme.example.test/staging/directory',
        accountUrl: 'https://acme.example.test/staging/acct/9',
        keyPem: certs.rsaLeafKey,
      });
      await fixture.store.saveAccount(account());
      await fixture.store.saveAccount(staging);
      await expect(
        Promise.all([fixture.store.loadAccount(DIRECTORY), fixture.store.loadAccount(staging.directoryUrl)]),
      ).resolves.toEqual([account(), staging]);
    });

    test('a loaded account is a copy', async () => {
      await fixture.store.saveAccount(account());
      const loaded = await fixture.store.loadAccount(DIRECTORY);
      loaded!.keyPem = 'changed';
      await expect(fixture.store.loadAccount(DIRECTORY)).resolves.toEqual(account());
    });

    test('a directory URL that is not http(s) is refused, and the message does not carry the key', async () => {
      const error = await rejection(fixture.store.saveAccount(account({ directoryUrl: 'file:///etc/passwd' })));
      expect([error.code, keyBody(certs.ecLeafKey).some((line) => error.message.includes(line))]).toEqual([
        'CONFIG_INVALID',
        false,
      ]);
    });

    test('the key never shows in a log line', async () => {
      await fixture.store.saveAccount(account());
      await fixture.store.loadAccount(DIRECTORY);
      const logged = fixture.logged();
      expect(keyBody(certs.ecLeafKey).filter((line) => logged.includes(line))).toEqual([]);
    });

    const { damage } = options;
    if (damage === undefined) return;
    test('a damaged account is STORAGE_CORRUPT, and neither the message nor the cause chain carries the key', async () => {
      await fixture.store.saveAccount(account());
      await damage(fixture, DIRECTORY);
      const error = await rejection(fixture.store.loadAccount(DIRECTORY));
      const chain: string[] = [];
      for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++)
        chain.push(e.message);
      expect([error.code, keyBody(certs.ecLeafKey).filter((line) => chain.join('\n').includes(line))]).toEqual([
        'STORAGE_CORRUPT',
        [],
      ]);
    });
  });
}
