/** Account registration (with external account binding) and the lookup acme-client's public API cannot do without side effects. */
import type * as acme from 'acme-client';
import type { Account } from 'acme-client/types/rfc8555';
import { AcmeError } from '../errors';
import type { Logger } from '../log';
import { readDirectory } from './_directory';
import { classify, type OperationContext } from './_transport';

const ACCOUNT_DOES_NOT_EXIST = 'urn:ietf:params:acme:error:accountDoesNotExist';
const EXTERNAL_ACCOUNT_REQUIRED = 'urn:ietf:params:acme:error:externalAccountRequired';

/**
 * External account binding (RFC 8555 §7.3.4) as the CA issued it: the key ID and the base64url HMAC key.
 * acme-client adds the HS256-signed binding to the newAccount request only. `hmacKey` is a secret.
 */
export interface ExternalAccountBinding {
  kid: string;
  hmacKey: string;
}

/**
 * Makes the transport refuse a newAccount answer without `Location` in this operation (see
 * assertAccountLocation() in _transport.ts), so that acme-client never loops on it.
 */
async function expectAccountLocation(client: acme.Client, context: OperationContext): Promise<void> {
  const url = (await readDirectory(client)).newAccount;
  context.newAccountUrl = typeof url === 'string' ? url : undefined;
}

/** What registerAccount() sends and knows. */
export interface RegisterAccountInput {
  email?: string;
  /** Whether the client was built with an external account binding (for the remediation only). */
  hasExternalAccountBinding: boolean;
}

/**
 * RFC 8555 §7.3: registers the key's account with `termsOfServiceAgreed: true` (or finds the existing
 * one) and returns its URL. A CA that requires EAB when none is configured fails with a hint to pass
 * it. MUST run inside runOperation().
 * @throws {AcmeError} when the CA refuses the account or reports it as not valid; any other failure as thrown
 */
export async function registerAccount(
  client: acme.Client,
  context: OperationContext,
  input: RegisterAccountInput,
  logger: Logger,
): Promise<string> {
  const contact = input.email === undefined ? undefined : [`mailto:${input.email}`];
  let account: Account;
  try {
    await expectAccountLocation(client, context);
    account = await client.createAccount({ termsOfServiceAgreed: true, contact });
  } catch (error) {
    const classified = classify(error, context);
    if (classified.problemType !== EXTERNAL_ACCOUNT_REQUIRED || input.hasExternalAccountBinding) throw classified;
    const { problemType, status } = classified;
    throw new AcmeError(
      'ACME_PROBLEM',
      `${classified.message}; pass the key ID and HMAC key from your CA account with --eab-kid and --eab-hmac-key`,
      {
        problemType,
        status,
        cause: classified,
      },
    );
  }
  if (account.status !== undefined && account.status !== 'valid') {
    throw new AcmeError('ACME_PROBLEM', `Cannot register the ACME account: the CA reports it as "${account.status}"`);
  }
  const accountUrl = client.getAccountUrl();
  logger.debug('ACME account ready', { accountUrl, externalAccountBinding: input.hasExternalAccountBinding });
  return accountUrl;
}

/** The part of acme-client's internal AcmeApi that findExistingAccount() uses. */
interface LowLevelAccountApi {
  createAccount(data: { onlyReturnExisting: true }): Promise<unknown>;
}

/**
 * RFC 8555 §7.3.1: asks for the key's account with `onlyReturnExisting`, which creates nothing;
 * resolves its URL, or undefined when the CA does not know the key. acme-client's public
 * createAccount() would follow an HTTP 200 with an empty account update, which pebble -strict
 * refuses, so this uses its low-level API (pinned acme-client 5.4.0). MUST run inside runOperation().
 * @throws {AcmeError} when acme-client has no low-level API; any other failure as thrown
 */
export async function findExistingAccount(client: acme.Client, context: OperationContext): Promise<string | undefined> {
  const api = (client as unknown as { api?: LowLevelAccountApi }).api;
  if (api === undefined || typeof api.createAccount !== 'function') {
    throw new AcmeError(
      'ACME_PROBLEM',
      'Cannot look up the ACME account: this acme-client version has no low-level API; pin acme-client 5.4.0',
    );
  }
  try {
    await expectAccountLocation(client, context);
    await api.createAccount({ onlyReturnExisting: true });
  } catch (error) {
    if (classify(error, context).problemType === ACCOUNT_DOES_NOT_EXIST) return undefined;
    throw error;
  }
  return client.getAccountUrl();
}
