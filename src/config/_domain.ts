import { domainToASCII } from 'node:url';
import { ConfigError } from '../errors';
import { checkIpAddress, looksLikeIpAddress } from './_ip';
import { decodePunycode, encodePunycode } from './_punycode';

/** A pure check's outcome: the normalised value, or the detail of what is wrong. */
export type Check<T> = { ok: true; value: T } | { ok: false; detail: string };

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/** Characters a terminal would hide or reorder: controls, format (bidi, zero-width) and non-ASCII spaces. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;
const MAX_QUOTED_CHARS = 300;
const LDH_LABEL = /^[a-z0-9-]+$/;
/** An ASCII character that may not appear in a name, checked before IDNA conversion. */
const ASCII_NOT_ALLOWED = /[^a-z0-9.\-\u0080-\uffff]/;

/**
 * Quotes a value for a message: strings, numbers and booleans as a JSON string, so control characters
 * stay visible; anything else as its JSON. Values over 300 characters (longer than any valid name) are cut.
 */
export function quote(value: unknown): string {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const text = scalar ? String(value) : (JSON.stringify(value) ?? String(value));
  const cut = text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
  // JSON.stringify leaves DEL, C1 controls and bidi/zero-width format characters as they are.
  return (scalar ? JSON.stringify(cut) : cut).replace(INVISIBLE, escapeCodePoint);
}

function escapeCodePoint(char: string): string {
  const hex = (char.codePointAt(0) as number).toString(16);
  return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T = never>(detail: string): Check<T> => ({ ok: false, detail });

const WILDCARD_DETAIL = 'HTTP-01 cannot validate wildcard names; list each host name instead';

/** Checks ASCII characters before IDNA: url.domainToASCII("a/b.com") silently returns "a". */
function checkCharacters(lower: string): Check<string> {
  if (lower.startsWith('*.') || lower === '*') return fail(WILDCARD_DETAIL);
  const bad = ASCII_NOT_ALLOWED.exec(lower);
  if (bad !== null) return fail(`character ${quote(bad[0])} is not allowed; use letters, digits, hyphens and dots`);
  return ok(lower);
}

function checkLabels(ascii: string): Check<string> {
  if (ascii.length > 253) return fail(`the name is ${ascii.length} characters long; the limit is 253`);
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') return fail('the name contains an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) return fail(`label ${quote(label)} is ${label.length} characters long; the limit is 63`);
    if (!LDH_LABEL.test(label)) return fail(`label ${quote(label)} may contain only letters, digits and hyphens`);
    if (label.startsWith('-') || label.endsWith('-'))
      return fail(`label ${quote(label)} must not start or end with a hyphen`);
  }
  if (labels.length < 2) return fail('expected a fully qualified name with at least two labels, e.g. "example.com"');
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return fail('the last label must not be all digits');
  const punycode = labels.map(checkPunycodeLabel).find((check) => !check.ok);
  return punycode ?? ok(ascii);
}

/**
 * An "xn--" label must be the one IDNA itself writes, or the CA, HAProxy and a browser could each see a
 * different name. Decoding uses _punycode.ts, not url.domainToUnicode(): Node 24 passes undecodable
 * labels such as "xn--zz" through unchanged, where Node 20 refused them. Samples: "xn--zz" (truncated),
 * "xn---uba" (a delimiter with no basic code points before it, which lenient decoders read as "xn--uba").
 */
function checkPunycodeLabel(label: string): Check<string> {
  if (!label.startsWith('xn--')) return ok(label);
  const encoded = label.slice(4);
  const decoded = decodePunycode(encoded);
  // Strict RFC 3492 decoding of lower-case input is one-to-one; re-encoding makes that a checked fact.
  if (decoded === undefined || encodePunycode(decoded) !== encoded)
    return fail(`label ${quote(label)} is not valid punycode`);
  // UTS #46: the decoded label must be valid and already mapped (no upper case, no disallowed or ASCII-only label).
  if (domainToASCII(decoded) !== label) {
    return fail(`label ${quote(label)} decodes to ${quote(decoded)}, which is not a valid internationalised label`);
  }
  return ok(label);
}

/**
 * Validates one identifier for HTTP-01 and returns its canonical form (pure): a DNS name, or an IPv4 or
 * IPv6 address (RFC 8738; see _ip.ts). Samples: `"Bücher.Example."` → `"xn--bcher-kva.example"`,
 * `"[2001:DB8::1]"` → `"2001:db8::1"`.
 */
export function checkDomain(input: string): Check<string> {
  if (CONTROL_CHARS.test(input)) return fail('the name contains a control character');
  const trimmed = input.trim();
  if (trimmed === '') return fail('expected a domain name');
  if (/\s/.test(trimmed)) return fail('the name contains whitespace');
  if (looksLikeIpAddress(trimmed)) return checkIpAddress(trimmed);
  const lower = trimmed.toLowerCase().replace(/\.$/, '');
  const chars = checkCharacters(lower);
  if (!chars.ok) return chars;
  const ascii = toAscii(lower);
  if (!ascii.ok) return ascii;
  // UTS #46 maps full-width digits and ideographic dots: "１.２.３.４" would become an IP address.
  if (looksLikeIpAddress(ascii.value)) return fail(`write the IP address in ASCII characters: ${quote(ascii.value)}`);
  return checkLabels(ascii.value);
}

/** UTS #46 label separators: the full stop and the ideographic, full-width and half-width ones. */
const LABEL_SEPARATORS = /[.\u3002\uff0e\uff61]/;

/** An ASCII name as it is; any other through url.domainToASCII (UTS #46 mapping + punycode), which returns "" when it refuses the name. */
function toAscii(lower: string): Check<string> {
  if (/^[\u0000-\u007f]*$/.test(lower)) return ok(lower);
  // Punycode labels written next to Unicode ones are checked here first, so the rule and its message
  // do not depend on how this runtime's domainToASCII treats them.
  const written = lower
    .split(LABEL_SEPARATORS)
    .map(checkPunycodeLabel)
    .find((check) => !check.ok);
  if (written !== undefined) return written;
  const ascii = domainToASCII(lower);
  return ascii === '' ? fail('the name is not a valid internationalised domain name') : ok(ascii);
}

/**
 * Returns the canonical form of a domain name: trimmed, lower-case, punycode, one trailing dot removed.
 * @throws ConfigError when the name cannot be validated over HTTP-01.
 */
export function normaliseDomain(input: string): string {
  const result = checkDomain(input);
  if (!result.ok) throw new ConfigError(`Invalid domain name ${quote(input)}: ${result.detail}`);
  return result.value;
}

/** Certificate names: storage keys, so they are lower-case and path-safe (certmagic `KeyBuilder.Safe`). */
const NAME_PATTERN = /^(_wildcard\.)?[a-z0-9][a-z0-9._-]{0,63}$/;

/** Sanitises a certificate name (pure): lower-case, `*.` → `_wildcard.`, no `..`, at most 64 characters after the prefix. */
export function checkName(input: string): Check<string> {
  if (CONTROL_CHARS.test(input)) return fail('the name contains a control character');
  const name = input.trim().toLowerCase().replace(/^\*\./, '_wildcard.');
  if (name === '') return fail('expected a certificate name');
  if (name.includes('..')) return fail('the name must not contain ".."');
  if (!NAME_PATTERN.test(name)) {
    return fail('expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting with a letter or digit');
  }
  return ok(name);
}
