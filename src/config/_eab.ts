/**
 * Pure checks of the external account binding settings (RFC 8555 §7.3.4): the key ID and the HMAC
 * key a CA such as ZeroSSL or Google Trust Services hands out with an account. The HMAC key is a
 * secret: no detail here contains it, and _resolve.ts never quotes its value.
 */
import { quote, type Check } from './_domain';

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T = never>(detail: string): Check<T> => ({ ok: false, detail });

const MAX_KID_CHARS = 256;
/** Visible ASCII only: a key ID is an opaque token, and anything else is a copy-paste accident. */
const VISIBLE_ASCII = /^[\u0021-\u007e]+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** RFC 7518 §3.2 asks for at least 256 bits for HS256; 128 bits still catches a truncated paste without refusing an odd CA. */
const MIN_HMAC_KEY_BYTES = 16;

/** Checks an EAB key ID (pure): trimmed, 1 to 256 visible ASCII characters. Sample: `"kid-1"`. */
export function checkEabKid(input: string): Check<string> {
  const kid = input.trim();
  if (kid === '') return fail('expected the key ID your CA gave you');
  if (!VISIBLE_ASCII.test(kid)) {
    const bad = [...kid].find((char) => !VISIBLE_ASCII.test(char)) as string;
    return fail(`character ${quote(bad)} is not allowed; a key ID is visible ASCII characters without spaces`);
  }
  if (kid.length > MAX_KID_CHARS)
    return fail(`the key ID is ${kid.length} characters long; the limit is ${MAX_KID_CHARS}`);
  return ok(kid);
}

/**
 * Checks an EAB HMAC key (pure): base64url as the CA gives it, trimmed, `=` padding dropped, at least
 * 16 bytes once decoded. Details say "the value" and never contain it. Sample: `"zWNDZM6eQGHWpSRT…"`.
 */
export function checkEabHmacKey(input: string): Check<string> {
  const key = input.trim().replace(/={1,2}$/, '');
  if (key === '') return fail('expected the HMAC key your CA gave you');
  if (/[+/]/.test(key) && BASE64URL.test(key.replace(/[+/]/g, 'A'))) {
    return fail('the value is standard base64; write it as base64url, with "-" for "+" and "_" for "/"');
  }
  if (!BASE64URL.test(key)) return fail('the value must be base64url: only A-Z, a-z, 0-9, "-" and "_"');
  // No base64 text has 4n+1 characters: one character carries only 6 bits.
  if (key.length % 4 === 1 || Buffer.from(key, 'base64url').length < MIN_HMAC_KEY_BYTES) {
    return fail(
      `the value is too short or cut off; an HMAC key has at least ${MIN_HMAC_KEY_BYTES} bytes (22 base64url characters)`,
    );
  }
  return ok(key);
}
