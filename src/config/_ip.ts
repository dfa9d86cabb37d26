/**
 * Pure: IP address identifiers (RFC 8738) as `--domain` values. IPv4 is taken in strict dotted-quad
 * form; IPv6 (bare or in brackets) is written in the canonical text form of RFC 5952 §4, so
 * `[2001:DB8:0:0:0:0:0:1]` becomes `2001:db8::1` and equal addresses are de-duplicated.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Check } from './_domain';

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T = never>(detail: string): Check<T> => ({ ok: false, detail });

/** Digits and dots only: a DNS name's last label may not be all digits, so this can only be meant as IPv4. */
const IPV4_SHAPE = /^[0-9.]+$/;
/** Hex digits, colons (at least two), dots and an optional `%zone`: only an IPv6 address looks like this. */
const IPV6_SHAPE = /^[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*(%.*)?$/i;
// RFC 5952 §5 form after the WHATWG serializer: "::ffff:1.2.3.4" comes out as "::ffff:102:304".
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

const IPV4_DETAIL = 'expected an IPv4 address: four numbers from 0 to 255 separated by dots, e.g. "192.0.2.1"';
const IPV6_DETAIL = 'expected an IPv6 address such as "2001:db8::1"';

/** Whether `input` (trimmed) is meant as an IP address rather than a DNS name. */
export function looksLikeIpAddress(input: string): boolean {
  return input.startsWith('[') || IPV4_SHAPE.test(input) || IPV6_SHAPE.test(input);
}

function checkIpv4(text: string): Check<string> {
  if (isIPv4(text)) return ok(text);
  const parts = text.split('.');
  if (parts.length === 4 && parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) {
    const written = parts.map((part) => String(Number(part))).join('.');
    return fail(`a number with a leading zero is ambiguous (some software reads it as octal); write "${written}"`);
  }
  return fail(IPV4_DETAIL);
}

function checkIpv6(text: string): Check<string> {
  const zone = text.indexOf('%');
  if (zone !== -1 && isIPv6(text)) {
    return fail(`an IPv6 zone ID cannot be certified; remove ${JSON.stringify(text.slice(zone))}`);
  }
  if (!isIPv6(text) || !URL.canParse(`http://[${text}]/`)) return fail(IPV6_DETAIL);
  // The WHATWG URL serializer writes IPv6 hosts exactly as RFC 5952 §4 recommends.
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = MAPPED_IPV4.exec(canonical);
  if (mapped !== null) {
    const [high, low] = [parseInt(mapped[1] as string, 16), parseInt(mapped[2] as string, 16)];
    const ipv4 = `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
    // A client connecting to the IPv4 address never matches a 16-byte IPv6 SAN, and CAs refuse ::ffff:0:0/96.
    return fail(`an IPv4-mapped IPv6 address cannot be certified; use the IPv4 address "${ipv4}"`);
  }
  return ok(canonical);
}

/**
 * Checks an IP literal (pure; call it when looksLikeIpAddress() is true): IPv4 as is, IPv6 bare or in
 * brackets, returned in RFC 5952 form. Samples: `"[2001:DB8::1]"` → `"2001:db8::1"`, `"127.0.0.1"` → `"127.0.0.1"`.
 */
export function checkIpAddress(input: string): Check<string> {
  if (input.startsWith('[')) {
    const inner = /^\[([^\]]*)\]$/.exec(input)?.[1];
    if (inner === undefined) return fail('expected an IPv6 address in brackets and nothing else, e.g. "[2001:db8::1]"');
    if (isIPv4(inner)) return fail(`brackets are only for IPv6 addresses; write "${inner}"`);
    return checkIpv6(inner);
  }
  return IPV4_SHAPE.test(input) ? checkIpv4(input) : checkIpv6(input);
}

/**
 * The default certificate name for a checked identifier (pure): a DNS name or an IPv4 address as it is;
 * an IPv6 address as `ip6-` plus its RFC 5952 form with every `:` replaced by `-`, because a name may not
 * contain `:`. Samples: `"::1"` → `"ip6---1"`, `"2001:db8::1"` → `"ip6-2001-db8--1"`. One-to-one: the
 * canonical form contains no `-`, and no DNS name has a single label.
 */
export function defaultNameOf(identifier: string): string {
  return identifier.includes(':') ? `ip6-${identifier.replace(/:/g, '-')}` : identifier;
}
