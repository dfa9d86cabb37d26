import { assertValidToken, isValidToken } from './_token';

/**
 * Where the HTTP-01 responder looks up key authorizations (RFC 8555 §8.3).
 *
 * Contract, for every backend:
 * - `add()` MUST reject a token that is not base64url of 16 to 128 characters with
 *   ChallengeError CHALLENGE_INVALID, and MUST replace the key authorization of a token added before.
 * - `get()` MUST return the key authorization of a token added and not yet removed, and MUST
 *   return undefined (never throw) for an unknown or malformed token.
 * - `remove()` MUST succeed for unknown tokens.
 */
export interface ChallengeTokenRegistry {
  /** Publishes `keyAuthorization` under `token`. @throws ChallengeError CHALLENGE_INVALID */
  add(token: string, keyAuthorization: string): Promise<void>;
  /** The key authorization for `token`, or undefined. */
  get(token: string): Promise<string | undefined>;
  /** Stops publishing `token`. */
  remove(token: string): Promise<void>;
}

/** A ChallengeTokenRegistry for one process; enough while only one host answers the challenge. */
export class MemoryChallengeTokenRegistry implements ChallengeTokenRegistry {
  private readonly tokens = new Map<string, string>();

  /** @throws ChallengeError CHALLENGE_INVALID */
  async add(token: string, keyAuthorization: string): Promise<void> {
    assertValidToken(token);
    this.tokens.set(token, keyAuthorization);
  }

  async get(token: string): Promise<string | undefined> {
    if (!isValidToken(token)) return undefined;
    return this.tokens.get(token);
  }

  async remove(token: string): Promise<void> {
    this.tokens.delete(token);
  }
}
