/** Account lookup that acme-client's public API cannot do without side effects. */
import type * as acme from 'acme-client';
import { AcmeError } from '../errors';
import { classify, type OperationContext } from './_transport';

const ACCOUNT_DOES_NOT_EXIST = 'urn:ietf:params:acme:error:accountDoesNotExist';

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
    throw new AcmeError('ACME_PROBLEM', 'Cannot look up the ACME account: this acme-client version has no low-level API; pin acme-client 5.4.0');
  }
  try {
    await api.createAccount({ onlyReturnExisting: true });
  } catch (error) {
    if (classify(error, context).problemType === ACCOUNT_DOES_NOT_EXIST) return undefined;
    throw error;
  }
  return client.getAccountUrl();
}
