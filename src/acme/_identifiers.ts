/**
 * Pure: turns the names of a certificate into ACME identifiers. DNS names are type `dns`
 * (RFC 8555 §9.7.7); IPv4 and IPv6 literals are type `ip` (RFC 8738 §3), IPv6 in the canonical
 * text form of RFC 5952 §4 (lower case, longest zero run compressed), so `2001:DB8:0:0:0:0:0:1`
 * is ordered as `2001:db8::1`.
 */
import { isIP } from 'node:net';
import { AcmeError } from '../errors';
import { sanitizeDetail } from './_problem';

/** The identifier types we order: RFC 8555 `dns` and RFC 8738 `ip`. */
export type IdentifierType = 'dns' | 'ip';

/** One ACME identifier (RFC 8555 §7.1.4). */
export interface Identifier {
  type: IdentifierType;
  value: string;
}

// RFC 5952 §5: an IPv4-mapped address keeps its IPv4 part in dotted form ("::ffff:192.0.2.1").
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

function canonicalIpv6(address: string): string {
  // The WHATWG URL serializer writes IPv6 hosts exactly as RFC 5952 §4 recommends.
  const compressed = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = MAPPED_IPV4.exec(compressed);
  if (mapped === null) return compressed;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `::ffff:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * Types one name: `127.0.0.1` → `{ type: 'ip', value: '127.0.0.1' }`, `a.test` → `{ type: 'dns', … }`.
 * @throws {AcmeError} ACME_PROBLEM for an IPv6 address with a zone ID (`fe80::1%eth0`), which no CA certifies
 */
export function toIdentifier(name: string): Identifier {
  const version = isIP(name);
  if (version === 4) return { type: 'ip', value: name };
  if (version === 0) return { type: 'dns', value: name };
  if (name.includes('%')) {
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot order a certificate for "${sanitizeDetail(name)}": an IPv6 zone ID cannot be certified; remove "%${sanitizeDetail(name.slice(name.indexOf('%') + 1))}"`,
    );
  }
  return { type: 'ip', value: canonicalIpv6(name) };
}

/** Whether `name` is an IPv4 or IPv6 literal (ordered as type `ip`). */
export function isIpIdentifier(name: string): boolean {
  return isIP(name) !== 0;
}
