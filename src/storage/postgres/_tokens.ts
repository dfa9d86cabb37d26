/**
 * PostgresChallengeTokenRegistry: HTTP-01 key authorizations in the shared store, so that every
 * node's responder answers a challenge whichever node asked for it (`--http01-mode shared`).
 */
import { assertValidToken, isValidToken } from '../../acmeToken';
import { ConfigError } from '../../errors';
import type { PgDatabase } from './_db';

/** How long a published token stays answerable by default (1 hour): longer than any validation. */
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;

/** Options of PostgresChallengeTokenRegistry. */
export interface PostgresChallengeTokenRegistryOptions {
  db: PgDatabase;
  /**
   * A token added this long ago (by the database clock) is no longer answered, so that an issuer
   * that crashed before remove() leaves nothing answerable for long. Default: 3600000 (1 hour).
   */
  ttlMs?: number;
}

/** Publishes (or replaces) a token, and deletes expired ones of issuers that never removed theirs. */
const ADD_SQL = `WITH expired AS (
    DELETE FROM acme_challenge_tokens WHERE expires_at <= clock_timestamp() AND token <> $1)
  INSERT INTO acme_challenge_tokens (token, key_authorization, expires_at)
  VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond')
  ON CONFLICT (token) DO UPDATE SET key_authorization = EXCLUDED.key_authorization, expires_at = EXCLUDED.expires_at`;

const GET_SQL = `SELECT key_authorization FROM acme_challenge_tokens
  WHERE token = $1 AND expires_at > clock_timestamp()`;

const REMOVE_SQL = 'DELETE FROM acme_challenge_tokens WHERE token = $1 OR expires_at <= clock_timestamp()';

/**
 * The ChallengeTokenRegistry of a PostgreSQL store (the contract is in src/challenge: add() checks
 * the token, get() answers undefined for unknown, malformed or expired tokens, remove() always
 * succeeds). Every method throws StorageError STORAGE_IO when the database cannot be reached, so
 * that a responder answers 500 rather than a misleading 404.
 */
export class PostgresChallengeTokenRegistry {
  private readonly db: PgDatabase;
  private readonly ttlMs: number;

  /** @throws ConfigError for a ttlMs that is not a positive number */
  constructor(options: PostgresChallengeTokenRegistryOptions) {
    this.db = options.db;
    this.ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!(Number.isFinite(this.ttlMs) && this.ttlMs > 0))
      throw new ConfigError(`Cannot keep HTTP-01 tokens for ${this.ttlMs} ms: expected a positive number of ms`);
  }

  /** Publishes `keyAuthorization` under `token` for ttlMs. @throws ChallengeError CHALLENGE_INVALID; StorageError STORAGE_IO */
  async add(token: string, keyAuthorization: string): Promise<void> {
    assertValidToken(token);
    await this.db.query(ADD_SQL, [token, keyAuthorization, this.ttlMs]);
  }

  /** The key authorization for `token`, or undefined (unknown, malformed or expired). @throws StorageError STORAGE_IO */
  async get(token: string): Promise<string | undefined> {
    if (!isValidToken(token)) return undefined;
    const rows = await this.db.query<{ key_authorization: string }>(GET_SQL, [token]);
    return rows[0]?.key_authorization;
  }

  /** Stops publishing `token` (and drops expired ones). @throws StorageError STORAGE_IO */
  async remove(token: string): Promise<void> {
    if (!isValidToken(token)) return;
    await this.db.query(REMOVE_SQL, [token]);
  }
}
