/**
 * Pure: does what the CA answered match what was asked for? RFC 8555 §7.4: the order's
 * `identifiers` are the requested ones, and its `authorizations` hold at most one URL per
 * identifier (§7.1.3, §7.5). Checked before any authorization is fetched: an order listing
 * 100,000 authorization URLs for one name would otherwise be fetched whole (gigabytes of memory,
 * then EMFILE). Values from the CA are untrusted: they are sanitised and never listed whole.
 */
import { isIP } from 'node:net';
import { toIdentifier, type Identifier } from './_identifiers';
import { sanitizeDetail } from './_problem';

/** The part of an order (RFC 8555 §7.1.3) that is checked; every member is unchecked server input. */
export interface OrderShape {
  identifiers?: unknown;
  authorizations?: unknown;
}

/** The part of an authorization (RFC 8555 §7.1.4) that is checked; every member is unchecked server input. */
export interface AuthorizationShape {
  url?: unknown;
  identifier?: unknown;
  wildcard?: unknown;
}

const MAX_VALUES_SHOWN = 3;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const quote = (value: string): string => `"${sanitizeDetail(value)}"`;

/** `"a.test", ip "192.0.2.1", "c.test" and 4 more` for comparison keys: sanitised, the type named unless it is `dns`. */
function describeKeys(keys: readonly string[]): string {
  const label = (key: string): string => {
    const [type, value] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
    return type === 'dns' ? quote(value) : `${sanitizeDetail(type)} ${quote(value)}`;
  };
  const shown = keys.slice(0, MAX_VALUES_SHOWN).map(label).join(', ');
  return keys.length > MAX_VALUES_SHOWN ? `${shown} and ${keys.length - MAX_VALUES_SHOWN} more` : shown;
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * The comparison key of an identifier: DNS names compare case-insensitively (RFC 4343), IP
 * addresses in canonical form (RFC 8738 §3, RFC 5952); undefined when `value` is not an identifier.
 */
function keyOf(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.type !== 'string' || typeof value.value !== 'string') return undefined;
  const type = value.type.toLowerCase();
  if (type === 'ip' && isIP(value.value) !== 0 && !value.value.includes('%'))
    return `ip ${toIdentifier(value.value).value}`;
  return `${type} ${value.value.toLowerCase()}`;
}

/** What of `listed` is not in `expected`, and what of `expected` is not in `listed` (as multisets). */
function difference(expected: readonly string[], listed: readonly string[]): { extra: string[]; missing: string[] } {
  const left = new Map<string, number>();
  for (const key of expected) left.set(key, (left.get(key) ?? 0) + 1);
  const extra: string[] = [];
  for (const key of listed) {
    const count = left.get(key) ?? 0;
    if (count === 0) extra.push(key);
    else left.set(key, count - 1);
  }
  const missing = [...left].flatMap(([key, count]) => Array.from({ length: count }, () => key));
  return { extra, missing };
}

function identifiersMismatch(requested: readonly Identifier[], listed: unknown): string | undefined {
  if (!Array.isArray(listed)) return 'the CA\'s order has no "identifiers" list (RFC 8555 §7.1.3)';
  const want = requested.map((identifier) => keyOf(identifier) ?? '');
  if (listed.length !== requested.length) {
    return `the CA's order lists ${plural(listed.length, 'identifier')} for the ${requested.length} requested (${describeKeys(want)}); RFC 8555 §7.4 requires the requested ones`;
  }
  const keys = listed.map(keyOf);
  const malformed = keys.findIndex((key) => key === undefined);
  if (malformed !== -1)
    return `the CA's order has a malformed identifier at position ${malformed + 1} (RFC 8555 §7.1.3: an object with a "type" and a "value")`;
  const { extra, missing } = difference(want, keys as string[]);
  if (extra.length === 0) return undefined;
  return `the CA's order is for ${describeKeys(extra)} instead of ${describeKeys(missing)}; RFC 8555 §7.4 requires the requested identifiers`;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:';
}

function authorizationsMismatch(identifierCount: number, listed: unknown): string | undefined {
  if (!Array.isArray(listed)) return 'the CA\'s order has no "authorizations" list (RFC 8555 §7.1.3)';
  if (listed.length > identifierCount) {
    return `the CA's order lists ${plural(listed.length, 'authorization')} for ${plural(identifierCount, 'identifier')}; RFC 8555 §7.4 allows at most one per identifier`;
  }
  const bad = listed.findIndex((url) => !isHttpUrl(url));
  if (bad !== -1)
    return `the CA's order lists an authorization at position ${bad + 1} that is not an http(s) URL (RFC 8555 §7.1.3)`;
  const repeated = listed.find((url, index) => listed.indexOf(url) !== index) as string | undefined;
  if (repeated !== undefined)
    return `the CA's order lists the authorization ${quote(repeated)} twice (RFC 8555 §7.1.3)`;
  return undefined;
}

/**
 * Why `order` does not match `requested`, or undefined when it does: its identifiers must be
 * the requested ones (compared as a multiset, DNS names case-insensitively, IPs canonical) and
 * it may list at most one authorization per identifier, each a distinct http(s) URL.
 * Sample answer: `the CA's order lists 100000 authorizations for 1 identifier; RFC 8555 §7.4 allows at most one per identifier`.
 */
export function orderMismatch(requested: readonly Identifier[], order: OrderShape): string | undefined {
  return (
    identifiersMismatch(requested, order.identifiers) ?? authorizationsMismatch(requested.length, order.authorizations)
  );
}

/** The identifier an authorization covers as the order names it: `*.` prepended for a wildcard (RFC 8555 §7.1.4). */
function orderKeyOf(authorization: AuthorizationShape): string | undefined {
  const key = keyOf(authorization.identifier);
  if (key === undefined || authorization.wildcard !== true) return key;
  return key.replace(/^dns /, 'dns *.');
}

/**
 * Why the fetched `authorizations` do not belong to an order for `identifiers`, or undefined:
 * each MUST be for one of the order's identifiers (RFC 8555 §7.1.4; `*.` for a wildcard), and no
 * identifier may have two.
 */
export function authorizationMismatch(
  identifiers: readonly Identifier[],
  authorizations: readonly AuthorizationShape[],
): string | undefined {
  const left = new Set(identifiers.map((identifier) => keyOf(identifier)));
  for (const authorization of authorizations) {
    const subject =
      typeof authorization.url === 'string'
        ? `the CA's authorization ${quote(authorization.url)}`
        : "one of the CA's authorizations";
    const key = orderKeyOf(authorization);
    if (key === undefined) return `${subject} has no valid "identifier" (RFC 8555 §7.1.4)`;
    if (!left.delete(key)) {
      return `${subject} is for ${describeKeys([key])}, which the order does not list or another authorization already covers (RFC 8555 §7.1.4)`;
    }
  }
  return undefined;
}
