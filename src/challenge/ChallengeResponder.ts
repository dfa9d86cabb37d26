import type { Logger } from '../log';
import { type ChallengeTokenRegistry, MemoryChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { HttpChallengeServer } from './HttpChallengeServer';
import type { ListenAddress } from './listenAddress';

/** Options of ChallengeResponder; the limits are passed to HttpChallengeServer. */
export interface ChallengeResponderOptions {
  /** Where the responder listens while at least one order runs. */
  address: ListenAddress;
  /** Default: a new MemoryChallengeTokenRegistry. */
  registry?: ChallengeTokenRegistry;
  logger: Logger;
  /** Default: 5000 ms (see HttpChallengeServerOptions). */
  requestTimeoutMs?: number;
  /** Default: 2048 bytes (see HttpChallengeServerOptions). */
  maxHeaderBytes?: number;
  /** Default: 1024 (see HttpChallengeServerOptions). */
  maxConnections?: number;
}

/**
 * One HTTP-01 responder shared by every order of this process, bound only while at least one
 * order holds it: acquire() before presenting tokens, call the returned release() when done.
 */
export class ChallengeResponder {
  private readonly server: HttpChallengeServer;
  private readonly registry: ChallengeTokenRegistry;
  private readonly logger: Logger;
  private users = 0;
  private started: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: ChallengeResponderOptions) {
    this.registry = options.registry ?? new MemoryChallengeTokenRegistry();
    this.logger = options.logger;
    this.server = new HttpChallengeServer({ ...options, registry: this.registry });
  }

  /**
   * Starts the server on first use and returns a release() that stops it when the last user
   * releases. Concurrent calls share one start; if it fails, every caller gets the error and
   * no use is counted. Calling release() twice releases once.
   * @throws ChallengeError CHALLENGE_BIND
   */
  async acquire(): Promise<() => Promise<void>> {
    // Trace this avoids: A releases (count 0, stop begins), B acquires and sees the old start
    // promise resolved, then A's stop closes the server under B. So B waits for the stop first.
    while (this.stopping !== undefined) await this.stopping;
    this.users += 1;
    const started = (this.started ??= this.server.start());
    try {
      await started;
    } catch (error) {
      this.users -= 1;
      if (this.started === started) this.started = undefined;
      throw error;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await this.release();
    };
  }

  /** Publishes a key authorization under `token` (RFC 8555 §8.3). @throws ChallengeError CHALLENGE_INVALID */
  async present(token: string, keyAuthorization: string): Promise<void> {
    await this.registry.add(token, keyAuthorization);
    this.logger.debug('Presenting HTTP-01 token', { token });
  }

  /** Stops publishing `token`; succeeds for a token never presented. */
  async cleanup(token: string): Promise<void> {
    await this.registry.remove(token);
  }

  /** The address the responder is bound to (port resolved), or the configured one while stopped. */
  address(): ListenAddress {
    return this.server.address();
  }

  /** Connections open right now (0 while stopped); bounded by maxConnections. */
  openConnections(): number {
    return this.server.openConnections();
  }

  private async release(): Promise<void> {
    this.users -= 1;
    if (this.users > 0) return;
    this.started = undefined;
    const stopping = this.server.stop().finally(() => {
      if (this.stopping === stopping) this.stopping = undefined;
    });
    this.stopping = stopping;
    await stopping;
  }
}
