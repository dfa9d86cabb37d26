/**
 * Last line of defence: strips secrets from any text about to be logged or printed.
 * Callers must still never pass keys on purpose; this catches the accidents (an error
 * message that quotes a payload, a library that logs a body).
 */

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g;
// RFC 8555 §8.1 key authorization: <base64url token>.<base64url JWK thumbprint (43 chars)>
const KEY_AUTHORIZATION = /\b([A-Za-z0-9_-]{16,128})\.[A-Za-z0-9_-]{43}\b/g;
// A JWK's private exponent or EC private scalar, should one ever be serialised.
const JWK_PRIVATE_MEMBER = /("(?:d|p|q|dp|dq|qi|k)"\s*:\s*")[A-Za-z0-9_-]+(")/g;

/** Returns `text` with private-key PEM blocks, key authorizations and JWK private members redacted. */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, '[redacted $1PRIVATE KEY]')
    .replace(KEY_AUTHORIZATION, '$1.[redacted]')
    .replace(JWK_PRIVATE_MEMBER, '$1[redacted]$2');
}
