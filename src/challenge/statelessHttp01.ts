import { ChallengeError } from '../errors';
import { TOKEN_PATTERN } from './_token';

/**
 * RFC 7638 thumbprint as ACME uses it (RFC 8555 §8.1): a SHA-256 digest, base64url without
 * padding, so exactly 43 characters. Nothing else may reach the HAProxy line it is written into.
 */
export const THUMBPRINT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whether `value` has the shape of an account key thumbprint (see THUMBPRINT_PATTERN). */
export function isAccountThumbprint(value: string): boolean {
  return THUMBPRINT_PATTERN.test(value);
}

/**
 * The path HAProxy answers with the key authorization: the challenge prefix, then one token of the
 * same rule as the responder's (src/challenge/_token.ts). `[.]` rather than `\.`: HAProxy's config
 * parser treats a backslash as an escape, and a character class needs none.
 */
const STATELESS_PATH_REGEX = `^/[.]well-known/acme-challenge/${TOKEN_PATTERN.source.slice(1)}`;

/**
 * The HAProxy `http-request` lines that answer HTTP-01 without any responder (RFC 8555 §8.3):
 * a GET or HEAD of `/.well-known/acme-challenge/<token>` gets `<token>.<thumbprint>`, the key
 * authorization of every challenge of the account whose key has `thumbprint`; every other request
 * under the challenge prefix gets 404 and is never forwarded. Put them first in the HTTP frontend.
 *
 * The token is the 4th `/`-separated field of the path (`/.well-known/acme-challenge/<token>`),
 * and only a path made of exactly those segments matches: nothing of the request but a base64url
 * token is ever echoed. `path` excludes the query string and is never percent-decoded, so `%2e%2e`
 * or `..` cannot match. Example (thumbprint shortened):
 * `http-request return status 200 content-type text/plain lf-string "%[path,field(4,/)].NzbLsX…" hdr cache-control no-store if METH_GET { path_reg ^/[.]well-known/acme-challenge/[A-Za-z0-9_-]{16,128}$ }`
 * @throws ChallengeError CHALLENGE_INVALID when `thumbprint` is not 43 base64url characters
 */
export function statelessHttp01Lines(thumbprint: string): string[] {
  if (!isAccountThumbprint(thumbprint)) {
    const shown = thumbprint.length > 64 ? `${thumbprint.slice(0, 64)}…` : thumbprint;
    throw new ChallengeError(
      'CHALLENGE_INVALID',
      `Cannot write the stateless HTTP-01 lines for thumbprint ${JSON.stringify(shown)}: it is not 43 base64url characters (an RFC 7638 SHA-256 thumbprint, as "acme account show" prints it)`,
    );
  }
  return [
    `http-request return status 200 content-type text/plain lf-string "%[path,field(4,/)].${thumbprint}" hdr cache-control no-store if METH_GET { path_reg ${STATELESS_PATH_REGEX} }`,
    'http-request return status 404 content-type text/plain string "not found" hdr cache-control no-store if { path_beg /.well-known/acme-challenge/ }',
  ];
}
