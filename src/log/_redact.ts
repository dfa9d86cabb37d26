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

/** RFC 7518 §6.2.2, §6.3.2, §6.4.1: the private members of an EC, RSA or symmetric JWK. */
const JWK_PRIVATE_KEYS: ReadonlySet<string> = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);
/** Log fields are shallow; anything nested deeper than this is replaced rather than walked. */
const MAX_FIELD_DEPTH = 8;

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Returns a log field value with secrets redacted in every string, Error message and JWK private
 * member it contains, however nested (arrays and plain objects are copied, other objects kept).
 * An Error becomes `{ name, message }`, which winston would otherwise print as `{}`.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value instanceof Error) return { name: value.name, message: redactSecrets(value.message) };
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_FIELD_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, depth + 1));
  return isPlainObject(value) ? redactObject(value, depth) : value;
}

function redactObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const isJwk = typeof value.kty === 'string';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      isJwk && JWK_PRIVATE_KEYS.has(key) && typeof item === 'string' ? '[redacted]' : redactValue(item, depth + 1);
  }
  return out;
}
