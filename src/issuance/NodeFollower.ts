import { setTimeout as sleep } from 'node:timers/promises';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { ChangeFeed } from '../storage';
import type { SyncOutcome } from './syncNode';

/** After a failed sync, the first retry waits this long, doubling up to MAX_RETRY_MS. */
const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/**
 * Certificates compared per sync call when comparing all of them: the home lock is released
 * between calls, and names a notification brought in meanwhile go first.
 */
const CHUNK = 20;

/** Options of NodeFollower. */
export interface NodeFollowerOptions {
  /** Committed changes as they happen; undefined: poll only. */
  feed?: ChangeFeed;
  /** Every certificate is compared this often besides the feed (it loses what it was away for). */
  pollIntervalMs: number;
  /** Every certificate name in the shared store. */
  listNames: () => Promise<string[]>;
  /**
   * Brings this node up to the store for `names` (syncCertificates() under the home lock).
   * Rejecting (home lock busy, database away) makes the follower retry them after a backoff.
   */
  sync: (names: string[], signal: AbortSignal) => Promise<SyncOutcome[]>;
  logger: Logger;
  /** Called after every sync batch (metrics, tests). Default: none. */
  onSynced?: (outcomes: SyncOutcome[]) => void;
}

/**
 * Keeps this node serving what the shared store holds: every certificate the feed announces is
 * synced at once; after every (re)connect of the feed, and every `pollIntervalMs`, all of them
 * are; changes that arrive during a sync are coalesced into the next. A failed sync is retried
 * with a backoff (1 s doubling to 30 s). Runs until the signal aborts.
 */
export class NodeFollower {
  private readonly pending = new Set<string>();
  /** Without a feed, compare everything at once; with one, its first connect asks for that. */
  private all: boolean;
  private wake: (() => void) | undefined;
  private failures = 0;

  constructor(private readonly options: NodeFollowerOptions) {
    this.all = options.feed === undefined;
  }

  /** Follows until `signal` aborts; resolves then. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const { feed, logger } = this.options;
    const poll = setInterval(() => this.request('all'), this.options.pollIntervalMs);
    poll.unref();
    const following = feed?.follow(
      {
        onChange: (change) => this.request(change.name),
        onResync: (reason) => {
          logger.info('Following the shared store: comparing every certificate', { reason });
          this.request('all');
        },
        onDisconnect: (error) =>
          logger.warn('Lost the change notifications of the shared store; reconnecting', { error: error.message }),
      },
      { signal },
    );
    const stop = (): void => this.wake?.();
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!signal.aborted) {
        if (!this.all && this.pending.size === 0) await this.idle();
        if (signal.aborted) break;
        await this.syncBatch(signal);
      }
    } finally {
      clearInterval(poll);
      signal.removeEventListener('abort', stop);
      await following?.catch((error: unknown) =>
        logger.warn('The change feed stopped with an error', { error: messageOf(error) }),
      );
    }
  }

  /** Queues one certificate, or `all`; wakes the loop. */
  request(name: string | 'all'): void {
    if (name === 'all') this.all = true;
    else this.pending.add(name);
    this.wake?.();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async syncBatch(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    const everything = this.all;
    this.all = false;
    let names = [...this.pending];
    this.pending.clear();
    if (everything) {
      try {
        names = [...new Set([...(await this.options.listNames()), ...names])];
      } catch (error) {
        if (signal.aborted) return;
        logger.warn('Cannot list the shared store now; retrying', { error: messageOf(error) });
        this.all = true;
        for (const name of names) this.pending.add(name);
        return this.failed(signal);
      }
    }
    let ok = true;
    names.sort();
    for (let i = 0; i < names.length && !signal.aborted; i += CHUNK) {
      // What a notification named goes first: a whole comparison must not hold it up.
      if (everything && this.pending.size > 0) {
        const urgent = [...this.pending];
        this.pending.clear();
        ok = (await this.syncNames(urgent, signal)) && ok;
      }
      ok = (await this.syncNames(names.slice(i, i + CHUNK), signal)) && ok;
    }
    if (ok) this.failures = 0;
    else await this.failed(signal);
  }

  /** One sync call (it takes and releases the home lock); what fails is queued again. True when all succeeded. */
  private async syncNames(names: string[], signal: AbortSignal): Promise<boolean> {
    try {
      const outcomes = await this.options.sync(names, signal);
      this.options.onSynced?.(outcomes);
      const failed = outcomes.filter((outcome) => outcome.outcome === 'failed').map((outcome) => outcome.name);
      for (const name of failed) this.pending.add(name);
      return failed.length === 0;
    } catch (error) {
      if (signal.aborted) return true;
      this.options.logger.warn('Cannot sync this node with the shared store now; retrying', {
        error: messageOf(error),
      });
      for (const name of names) this.pending.add(name);
      return false;
    }
  }

  private async failed(signal: AbortSignal): Promise<void> {
    this.failures += 1;
    await this.backoff(signal);
  }

  private async backoff(signal: AbortSignal): Promise<void> {
    const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.min(this.failures - 1, 10));
    // An abort ends the wait early; run() sees the signal and stops.
    await sleep(delay, undefined, { signal }).catch(() => undefined);
  }
}
