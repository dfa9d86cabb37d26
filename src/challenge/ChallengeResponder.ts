import { ChallengeError } from '../errors';
import type { Logger } from '../log';
import type { AlpnIdentifier } from './_alpnCertificate';
import { type ChallengeTokenRegistry, MemoryChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { HttpChallengeServer } from './HttpChallengeServer';
import type { ListenAddress } from './listenAddress';
import { TlsAlpnChallengeServer } from './TlsAlpnChallengeServer';

/** The challenge a responder answers: HTTP-01 (RFC 8555 §8.3) or TLS-ALPN-01 (RFC 8737). */
export type ResponderChallengeType = 'http-01' | 'tls-alpn-01';

/** The identifier a challenge is for; TLS-ALPN-01 needs it to choose its certificate by SNI. */
export type ChallengeIdentifier = AlpnIdentifier;

/** Options of ChallengeResponder; the limits are passed to the server of its challenge type. */
export interface ChallengeResponderOptions {
  /** Where the responder listens while at least one order runs. */
  address: ListenAddress;
  /** Which server to run there. Default: `http-01` (HttpChallengeServer); `tls-alpn-01` runs TlsAlpnChallengeServer. */
  challengeType?: ResponderChallengeType;
  /** Default: a new MemoryChallengeTokenRegistry. */
  registry?: ChallengeTokenRegistry;
  logger: Logger;
  /** Default: 5000 ms (HTTP-01: the whole request; TLS-ALPN-01: the handshake). */
  requestTimeoutMs?: number;
  /** Default: 2048 bytes (see HttpChallengeServerOptions). */
  maxHeaderBytes?: number;
  /** Default: 1024 (see HttpChallengeServerOptions). */
  maxConnections?: number;
}

/**
 * One challenge responder (HTTP-01 or TLS-ALPN-01) shared by every order of this process, bound
 * only while at least one order holds it: acquire() before presenting challenges, call the
 * returned release() when done.
 */
export class ChallengeResponder {
  private readonly server: HttpChallengeServer | TlsAlpnChallengeServer;
  private readonly tls: TlsAlpnChallengeServer | undefined;
  private readonly registry: ChallengeTokenRegistry;
  private readonly logger: Logger;
  private users = 0;
  private started: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: ChallengeResponderOptions) {
    this.registry = options.registry ?? new MemoryChallengeTokenRegistry();
    this.logger = options.logger;
    if (options.challengeType === 'tls-alpn-01') {
      this.tls = new TlsAlpnChallengeServer({ ...options, handshakeTimeoutMs: options.requestTimeoutMs });
      this.server = this.tls;
    } else {
      this.server = new HttpChallengeServer({ ...options, registry: this.registry });
    }
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

  /**
   * HTTP-01: publishes `keyAuthorization` under `token` (RFC 8555 §8.3); `identifier` is not needed.
   * TLS-ALPN-01: presents the certificate for `keyAuthorization` to a handshake whose SNI names
   * `identifier`, which it MUST be given (RFC 8737 §3).
   * @throws ChallengeError CHALLENGE_INVALID
   */
  async present(token: string, keyAuthorization: string, identifier?: ChallengeIdentifier): Promise<void> {
    if (this.tls === undefined) {
      await this.registry.add(token, keyAuthorization);
      this.logger.debug('Presenting HTTP-01 token', { token });
      return;
    }
    if (identifier === undefined) {
      throw new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot present TLS-ALPN-01 for token ${JSON.stringify(token.slice(0, 64))}: the identifier it is for was not given`,
      );
    }
    this.tls.present(token, keyAuthorization, identifier);
    this.logger.debug('Presenting TLS-ALPN-01 certificate', { identifier: identifier.value, token });
  }

  /** Stops publishing `token`; succeeds for a token never presented. */
  async cleanup(token: string): Promise<void> {
    if (this.tls === undefined) await this.registry.remove(token);
    else this.tls.remove(token);
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
