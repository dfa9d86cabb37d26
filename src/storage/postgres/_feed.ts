/**
 * PostgresChangeFeed: committed certificate changes, heard with LISTEN on one dedicated
 * connection (the pool's connections come and go). A notification sent while the connection was
 * down is lost, so every (re)connect is reported as a resync; a connection that died without a
 * word (a cut network, a server that vanished) is found by a periodic `SELECT 1`.
 */
import type { Client, Notification } from 'pg';
import { messageOf } from '../../errors';
import type { Logger } from '../../log';
import type { CertificateChange, ChangeFeed, ChangeFeedHandlers } from '../_change-feed';
import { pause } from '../_lock-queue';
import { sanitiseName } from '../_names';
import type { PgDatabase } from './_db';
import { CERTIFICATE_CHANGED_CHANNEL } from './_schema';

/** Options of PostgresChangeFeed. */
export interface PostgresChangeFeedOptions {
  db: PgDatabase;
  logger: Logger;
  /** The first wait before reconnecting. Default: 250. */
  minBackoffMs?: number;
  /** The longest wait between reconnects. Default: 30000. */
  maxBackoffMs?: number;
  /** How often the idle connection is checked with `SELECT 1`. Default: 30000. */
  pingMs?: number;
  /** A check not answered within this long counts as a dead connection. Default: min(pingMs, 10000). */
  pingTimeoutMs?: number;
  /** Ends a connection given up on: wait this long for a polite goodbye, then cut it. Default: 2000. */
  closeTimeoutMs?: number;
  /** In [0, 1), for the backoff's jitter. Default: Math.random. */
  random?: () => number;
}

/**
 * The change a notification announces (pure), or undefined for anything else. Payload sample:
 * `{"name":"_wildcard.a.test","version":"20250101-000000"}`; `"version":null` once removed.
 */
export function parseCertificateChange(payload: string | undefined): CertificateChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, version } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !isSanitisedName(name)) return undefined;
  if (version !== null && (typeof version !== 'string' || version === '')) return undefined;
  return { name, version };
}

function isSanitisedName(name: string): boolean {
  try {
    return sanitiseName(name) === name;
  } catch {
    return false;
  }
}

/**
 * The wait before reconnect attempt `attempt` (0-based, pure): minMs doubling up to maxMs, of
 * which a random half is taken off ("equal jitter"), so that nodes cut off together do not all
 * come back in the same instant.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}

/** How one connection ended. */
interface Session {
  listened: boolean;
  error: Error;
}

/** Calls one handler; a handler that throws breaks its contract, but never the feed. */
function safely(logger: Logger, what: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    logger.error('A change feed handler failed', { handler: what, error: messageOf(error) });
  }
}

/** The ChangeFeed of a PostgreSQL store; see the file comment. Nothing it does throws into the event loop. */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly pingMs: number;
  private readonly pingTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly random: () => number;

  constructor(private readonly options: PostgresChangeFeedOptions) {
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.pingMs = options.pingMs ?? 30_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? Math.min(this.pingMs, 10_000);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2000;
    this.random = options.random ?? Math.random;
  }

  /**
   * Follows changes until `signal` aborts, then resolves once its connection is closed: LISTEN,
   * onResync('connected') (later 'reconnected'), onChange per notification; on a lost connection
   * onDisconnect, then reconnects after reconnectDelayMs(). Never rejects.
   */
  async follow(handlers: ChangeFeedHandlers, options: { signal: AbortSignal }): Promise<void> {
    const { signal } = options;
    const { logger, db } = this.options;
    let connectedBefore = false;
    let attempt = 0;
    while (!signal.aborted) {
      const session = await this.session(handlers, signal, connectedBefore);
      if (signal.aborted) break;
      if (session.listened) {
        connectedBefore = true;
        attempt = 0;
        logger.warn('Lost the change feed connection; reconnecting', {
          database: db.label,
          error: session.error.message,
        });
        safely(logger, 'onDisconnect', () => handlers.onDisconnect?.(session.error));
      } else if (attempt === 0) {
        logger.warn('Cannot connect the change feed; retrying', { database: db.label, error: session.error.message });
      }
      await pause(reconnectDelayMs(attempt, this.minBackoffMs, this.maxBackoffMs, this.random()), undefined, signal);
      attempt += 1;
    }
  }

  /** One connection, from connect to its end (an error, the server gone, a failed check, or the signal). */
  private session(handlers: ChangeFeedHandlers, signal: AbortSignal, reconnect: boolean): Promise<Session> {
    const { logger } = this.options;
    const client = this.options.db.newClient();
    return new Promise((resolve) => {
      let listened = false;
      let ended = false;
      let ping: NodeJS.Timeout | undefined;
      const finish = (failure: unknown): void => {
        if (ended) return;
        const error = failure instanceof Error ? failure : new Error(messageOf(failure));
        ended = true;
        clearInterval(ping);
        signal.removeEventListener('abort', onAbort);
        void this.close(client).then(() => resolve({ listened, error }));
      };
      const onAbort = (): void => finish(new Error('the feed was stopped'));
      // Kept for the client's whole life: an 'error' event without a listener would end the process.
      client.on('error', (error: Error) => finish(error));
      client.on('end', () => finish(new Error('the server closed the connection')));
      client.on('notification', (message: Notification) => {
        if (ended || message.channel !== CERTIFICATE_CHANGED_CHANNEL) return;
        const change = parseCertificateChange(message.payload);
        if (change === undefined)
          return logger.warn('Ignored a certificate change notification that is not understood', {
            payload: (message.payload ?? '').slice(0, 200),
          });
        safely(logger, 'onChange', () => handlers.onChange(change));
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void (async () => {
        await client.connect();
        await client.query(`LISTEN ${CERTIFICATE_CHANGED_CHANNEL}`);
        if (ended) return;
        listened = true;
        ping = setInterval(() => void this.check(client).catch(finish), this.pingMs).unref();
        logger.debug('Listening for certificate changes', { database: this.options.db.label });
        safely(logger, 'onResync', () => handlers.onResync(reconnect ? 'reconnected' : 'connected'));
      })().catch(finish);
    });
  }

  /** `SELECT 1`, rejected when not answered within pingTimeoutMs (a connection that died silently). */
  private async check(client: Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the connection did not answer a check within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      ).unref();
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the client politely if it answers within closeTimeoutMs, else cuts its socket. */
  private async close(client: Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), this.closeTimeoutMs)));
    const outcome = await Promise.race([client.end().catch(() => undefined), late]);
    clearTimeout(timer);
    if (outcome === 'late') client.connection.stream.destroy();
  }
}
