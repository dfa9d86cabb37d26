/**
 * What an HTTP-01 token may be (pure): one rule for the challenge responders, which look tokens
 * up, and for every store that keeps them (memory, PostgreSQL).
 */
import { ChallengeError } from './errors';

/**
 * RFC 8555 §8.3: an HTTP-01 token is base64url without padding (RFC 4648 §5) and carries at
 * least 128 bits of entropy, i.e. at least 22 characters from real CAs. We accept 16 to 128 so
 * that a token can never contain `.`, `/` or `%`, and so can never smuggle a path segment.
 */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Whether `token` is an acceptable HTTP-01 token (see TOKEN_PATTERN). */
export function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

/**
 * Rejects a token that is not base64url of 16 to 128 characters; `action` names what was
 * attempted in the message. Default: `present`.
 * @throws ChallengeError CHALLENGE_INVALID
 */
export function assertValidToken(token: string, action = 'present'): void {
  if (TOKEN_PATTERN.test(token)) return;
  const shown = token.length > 64 ? `${token.slice(0, 64)}…` : token;
  throw new ChallengeError(
    'CHALLENGE_INVALID',
    `Cannot ${action} HTTP-01 token ${JSON.stringify(shown)}: it is not base64url of 16 to 128 characters`,
  );
}
