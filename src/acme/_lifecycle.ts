/**
 * Certificate revocation (RFC 8555 §7.6) and account key rollover (RFC 8555 §7.3.5) over
 * acme-client 5.4.0, and the account key's RFC 7638 thumbprint for display. The calls MUST run
 * inside runOperation() (AcmeService does that), so that failures become AcmeError.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type * as acme from 'acme-client';
import { AcmeError } from '../errors';
import type { AcmeCallOptions } from './_wait';

/** Options of revokeCertificate(). */
export interface RevokeOptions extends AcmeCallOptions {
  /**
   * RFC 5280 §5.3.1 CRLReason code sent as `reason`: 0 unspecified, 1 keyCompromise,
   * 4 superseded, 5 cessationOfOperation (the ones Let's Encrypt accepts from subscribers).
   * Default: none sent (the CA records unspecified).
   */
  reason?: number;
}

/** RFC 5280 §5.3.1 codes a subscriber may send; 2, 3, 6, 8, 9 and 10 are the CA's own or unused here, 7 does not exist. */
const SUBSCRIBER_REASONS: ReadonlySet<number> = new Set([0, 1, 4, 5]);

/** The serial as HAProxy and `acme list` print it, or the whole certificate when it does not parse. */
function describeCertificate(certPem: string): string {
  try {
    return `serial "${new X509Certificate(certPem).serialNumber.toUpperCase()}"`;
  } catch {
    return 'certificate';
  }
}

/** The step name of a revocation, for runOperation(). */
export function revokeStep(certPem: string): string {
  return `revoke the certificate with ${describeCertificate(certPem)}`;
}

/**
 * Sends `revokeCert` for `certPem` (the leaf; a chain after it is ignored), signed with the
 * account key and `kid`: the account MUST be known to `client` (ensureAccount or lookupAccount first).
 * @throws {AcmeError} ACME_PROBLEM for a reason code a subscriber cannot send, before any request; anything acme-client throws otherwise
 */
export async function revokeWith(client: acme.Client, certPem: string, options: RevokeOptions = {}): Promise<void> {
  const { reason } = options;
  if (reason !== undefined && !SUBSCRIBER_REASONS.has(reason)) {
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot revoke with reason code ${String(reason)}: use 0 (unspecified), 1 (keyCompromise), 4 (superseded) or 5 (cessationOfOperation)`,
    );
  }
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certPem)?.[0];
  if (leaf === undefined)
    throw new AcmeError('ACME_PROBLEM', 'Cannot revoke the certificate: the PEM holds no certificate');
  // RFC 8555 §7.6: `reason` is optional; sending 0 explicitly is allowed but we omit it when not asked.
  await client.revokeCertificate(leaf, reason === undefined ? {} : { reason });
}

/**
 * RFC 8555 §7.3.5 key change: the inner JWS is signed with `newKeyPem`, the outer with the current
 * key and `kid`. When it resolves, the CA knows the account ONLY by the new key, and `client`
 * signs with it; a caller MUST have saved the new key somewhere durable BEFORE calling this.
 * @throws anything acme-client throws (classified by runOperation)
 */
export async function rolloverWith(client: acme.Client, newKeyPem: string): Promise<void> {
  await client.updateAccountKey(newKeyPem);
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of the public half of an account key: what ACME
 * key authorizations use, and a fingerprint that can be shown without revealing the key.
 * @throws {AcmeError} ACME_PROBLEM when the key does not parse or is neither EC nor RSA
 */
export function accountKeyThumbprint(keyPem: string): string {
  let jwk: { kty?: string; crv?: string; x?: string; y?: string; n?: string; e?: string };
  try {
    jwk = createPublicKey(keyPem).export({ format: 'jwk' });
  } catch (error) {
    throw new AcmeError('ACME_PROBLEM', 'Cannot compute the account key thumbprint: the key does not parse', {
      cause: error,
    });
  }
  // RFC 7638 §3.2: only the required members, in lexicographic order, no whitespace.
  let canonical: string;
  if (jwk.kty === 'EC') canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  else if (jwk.kty === 'RSA') canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  else
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot compute the account key thumbprint: key type "${String(jwk.kty)}" is neither EC nor RSA`,
    );
  return createHash('sha256').update(canonical).digest('base64url');
}
