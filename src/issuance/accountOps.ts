import type { Clock } from '../clock';
import { AcmeError, ConfigError } from '../errors';
import type { Logger } from '../log';
import { accountKeyThumbprint, createAccountKey, type AcmeService } from '../acme';
import { keyTypeOf } from '../pem';
import type { AccountKeyStage, CertificateStore, StoredAccount } from '../storage';

/** The ACME calls of the lifecycle use cases (account, revoke, rollover); AcmeService implements them. */
export type AcmeAccountClient = Pick<AcmeService, 'lookupAccount' | 'revokeCertificate' | 'rolloverAccountKey'>;

/** Adapters accountShow and rolloverAccount drive. */
export interface AccountDeps {
  /** The CA whose account is meant (`--directory`). */
  directoryUrl: string;
  store: CertificateStore;
  keyStage: AccountKeyStage;
  /** Builds an ACME client that signs with this account key, for `directoryUrl`. */
  acmeFor: (accountKeyPem: string) => AcmeAccountClient;
  clock: Clock;
  logger: Logger;
}

/** What `acme account show` prints. Never the key itself. */
export interface AccountSummary {
  directoryUrl: string;
  accountUrl: string;
  /** `mailto:` URLs registered with the account. */
  contact: string[];
  createdAt: string;
  /** `ec256`, `rsa2048`, … */
  keyType: string;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  keyThumbprint: string;
  /** A rollover was interrupted: a staged key waits; `acme account rollover` finishes or discards it. */
  pendingRollover: boolean;
  /** Whether the CA knows the stored key as this account; null when not asked (offline). */
  registeredAtCa: boolean | null;
}

/** What `acme account rollover` did. */
export interface RolloverResult {
  directoryUrl: string;
  accountUrl: string;
  previousKeyThumbprint: string;
  keyThumbprint: string;
  keyType: string;
  /** True when it only finished a rollover a previous run had done at the CA but not saved. */
  recovered: boolean;
}

/** Options of rolloverAccount(). */
export interface RolloverOptions {
  /** Makes the new account key. Default: createAccountKey (ECDSA P-256, native). */
  createKey?: () => Promise<string>;
}

async function requireAccount(deps: AccountDeps, action: string): Promise<StoredAccount> {
  const account = await deps.store.loadAccount(deps.directoryUrl);
  if (account === undefined) {
    throw new ConfigError(
      `Cannot ${action}: no ACME account for "${deps.directoryUrl}" is stored in --home; "acme issue" registers one, or pass the --directory it was registered with`,
      {
        source: '--directory',
      },
    );
  }
  return account;
}

/**
 * The stored account of `directoryUrl` (URL, contact, key type and thumbprint, never the key),
 * and unless `offline`, whether the CA still knows the key as that account (one
 * `onlyReturnExisting` request, which creates nothing). Undefined when no account is stored.
 * @throws AcmeError when the CA cannot be asked; StorageError when the account cannot be read
 */
export async function accountShow(
  deps: AccountDeps,
  options: { offline?: boolean } = {},
): Promise<AccountSummary | undefined> {
  const account = await deps.store.loadAccount(deps.directoryUrl);
  if (account === undefined) return undefined;
  const pendingRollover = (await deps.keyStage.staged(deps.directoryUrl)) !== undefined;
  let registeredAtCa: boolean | null = null;
  if (options.offline !== true)
    registeredAtCa = (await deps.acmeFor(account.keyPem).lookupAccount()) === account.accountUrl;
  return {
    directoryUrl: account.directoryUrl,
    accountUrl: account.accountUrl,
    contact: account.email === undefined ? [] : [`mailto:${account.email}`],
    createdAt: account.createdAt,
    keyType: keyTypeOf(account.keyPem),
    keyThumbprint: accountKeyThumbprint(account.keyPem),
    pendingRollover,
    registeredAtCa,
  };
}

/**
 * A staged key left by an interrupted rollover: when the CA knows it, the CA already switched
 * (we made that key, so its account is ours) and the key is promoted, with the URL the CA gives;
 * otherwise the CA never switched and it is discarded. Resolves the promoted key and its URL.
 */
async function settleStagedKey(
  deps: AccountDeps,
  account: StoredAccount,
  log: Logger,
): Promise<{ keyPem: string; accountUrl: string } | undefined> {
  const staged = await deps.keyStage.staged(deps.directoryUrl);
  if (staged === undefined) return undefined;
  const accountUrl = await deps.acmeFor(staged).lookupAccount();
  if (accountUrl === undefined) {
    await deps.keyStage.discard(deps.directoryUrl);
    log.info('Discarded a staged account key the CA never accepted', { accountUrl: account.accountUrl });
    return undefined;
  }
  await deps.keyStage.promote(deps.directoryUrl);
  // `acme issue` after the crash may have registered the old key as a new account: the staged key's account is the original one.
  if (accountUrl !== account.accountUrl) await deps.store.saveAccount({ ...account, keyPem: staged, accountUrl });
  log.warn('Finished an interrupted key rollover: the CA already knew the account by the staged key', { accountUrl });
  return { keyPem: staged, accountUrl };
}

/**
 * Replaces the account key (RFC 8555 §7.3.5) in a crash-safe order: finish or discard a staged
 * key left by an interrupted run → make a new key → stage it (written, 0600) → key change at the
 * CA → promote the staged key → check that the CA knows the new key. A crash after the key change
 * leaves the new key staged, and the next run promotes it. The caller MUST hold the home lock.
 * @throws ConfigError when no account is stored; AcmeError when the CA refuses or cannot be reached; StorageError
 */
export async function rolloverAccount(deps: AccountDeps, options: RolloverOptions = {}): Promise<RolloverResult> {
  const log = deps.logger.child({ directoryUrl: deps.directoryUrl });
  const account = await requireAccount(deps, 'roll over the ACME account key');
  const previousKeyThumbprint = accountKeyThumbprint(account.keyPem);
  const result = (keyPem: string, recovered: boolean, accountUrl = account.accountUrl): RolloverResult => ({
    directoryUrl: deps.directoryUrl,
    accountUrl,
    previousKeyThumbprint,
    keyThumbprint: accountKeyThumbprint(keyPem),
    keyType: keyTypeOf(keyPem),
    recovered,
  });
  const recovered = await settleStagedKey(deps, account, log);
  if (recovered !== undefined) return result(recovered.keyPem, true, recovered.accountUrl);

  const current = deps.acmeFor(account.keyPem);
  const accountUrl = await current.lookupAccount();
  if (accountUrl !== account.accountUrl) {
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot roll over the ACME account key: the CA at "${deps.directoryUrl}" does not know the stored key as "${account.accountUrl}"${accountUrl === undefined ? '' : ` (it answers "${accountUrl}")`}; the account may have been deactivated or rolled over elsewhere`,
    );
  }
  const newKeyPem = await (options.createKey ?? createAccountKey)();
  await deps.keyStage.stage(deps.directoryUrl, newKeyPem);
  try {
    await current.rolloverAccountKey(newKeyPem);
  } catch (error) {
    // A problem document is a definite "no": the CA kept the old key. A network failure or a
    // timeout is not: the key may have changed, so the staged key stays for the next run to settle.
    if (error instanceof AcmeError && error.code === 'ACME_PROBLEM') await deps.keyStage.discard(deps.directoryUrl);
    throw error;
  }
  await deps.keyStage.promote(deps.directoryUrl);
  log.info('Account key rolled over', {
    accountUrl: account.accountUrl,
    keyThumbprint: accountKeyThumbprint(newKeyPem),
  });
  if ((await deps.acmeFor(newKeyPem).lookupAccount()) !== account.accountUrl) {
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot confirm the key rollover: the CA at "${deps.directoryUrl}" accepted the key change but does not find "${account.accountUrl}" by the new key`,
    );
  }
  return result(newKeyPem, false);
}
