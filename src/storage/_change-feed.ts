/**
 * How a node learns that the shared store changed, so that it serves what another node issued:
 * a change feed (PostgreSQL: LISTEN on a dedicated connection, fed by `pg_notify` in the writing
 * transaction). A feed can lose changes (a notification sent while it was disconnected is gone),
 * so every (re)connect is reported as a resync, and the follower also polls.
 */

/** One committed change of a certificate: its new current version, or null once it was removed. */
export interface CertificateChange {
  /** The sanitised certificate name. */
  name: string;
  version: string | null;
}

/** What a feed tells its follower. */
export interface ChangeFeedHandlers {
  /** A change another writer committed (or this node: followers MUST be idempotent). Never throws. */
  onChange(change: CertificateChange): void;
  /**
   * The feed (re)connected: changes committed while it was away may be lost, so the follower
   * compares everything. Called after the first connect too. Never throws.
   */
  onResync(reason: 'connected' | 'reconnected'): void;
  /** The feed lost its connection and is retrying (for logs and metrics). Never throws. */
  onDisconnect?(error: Error): void;
}

/**
 * Contract: follow() keeps following, reconnecting with a bounded backoff, until `signal` aborts,
 * then resolves; it MUST call onResync after every successful (re)connect, and onChange for each
 * change committed while connected, after its commit.
 */
export interface ChangeFeed {
  follow(handlers: ChangeFeedHandlers, options: { signal: AbortSignal }): Promise<void>;
}
