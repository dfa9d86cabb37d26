import { ChallengeError, ConfigError } from '../errors';
import type { Logger } from '../log';
import { assertValidToken } from './_token';
import { ChallengeResponder, type ChallengeResponderOptions } from './ChallengeResponder';
import type { ChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { isAccountThumbprint } from './statelessHttp01';

/** What issuance drives: acquire() around an order, present() and cleanup() per challenge. */
export type Http01Responder = Pick<ChallengeResponder, 'acquire' | 'present' | 'cleanup'>;

/**
 * Who answers HTTP-01 (the values of `--http01-mode`): `local`, this command's own responder;
 * `shared`, the responder `acme daemon` keeps on every node, reading a shared registry;
 * `stateless`, HAProxy itself from the account thumbprint (statelessHttp01Lines()).
 */
export type Http01ResponderMode = 'local' | 'shared' | 'stateless';

/** Options of responderFor(): those of ChallengeResponder, plus what the other modes need. */
export interface ResponderForOptions extends ChallengeResponderOptions {
  /**
   * `local`: where this command's responder looks tokens up (default: a new MemoryChallengeTokenRegistry).
   * `shared`: the registry every node's always-on responder reads; MUST be given.
   */
  registry?: ChallengeTokenRegistry;
  /**
   * `stateless`: the thumbprint HAProxy was configured with, when known; present() then refuses a key
   * authorization of any other account key. Default: none (only the shape `<token>.<thumbprint>` is checked).
   */
  thumbprint?: string;
}

/** Resolves at once: nothing was bound, so there is nothing to release. */
const NOTHING_TO_RELEASE = async (): Promise<void> => undefined;

/**
 * `shared` mode: binds nothing (`acme daemon` answers on every node); present() writes the token
 * to the shared registry, cleanup() removes it.
 */
class SharedHttp01Responder implements Http01Responder {
  constructor(
    private readonly registry: ChallengeTokenRegistry,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<() => Promise<void>> {
    return NOTHING_TO_RELEASE;
  }

  async present(token: string, keyAuthorization: string): Promise<void> {
    await this.registry.add(token, keyAuthorization);
    this.logger.debug('Published HTTP-01 token to the shared registry', { token });
  }

  async cleanup(token: string): Promise<void> {
    await this.registry.remove(token);
  }
}

/**
 * `stateless` mode: binds and publishes nothing, since HAProxy answers every token with
 * `<token>.<thumbprint>`. present() only checks that the key authorization is exactly that, so a
 * key authorization HAProxy could not produce fails here, before the CA spends a validation.
 */
class StatelessHttp01Responder implements Http01Responder {
  constructor(
    private readonly thumbprint: string | undefined,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<() => Promise<void>> {
    return NOTHING_TO_RELEASE;
  }

  /** @throws ChallengeError CHALLENGE_INVALID */
  async present(token: string, keyAuthorization: string): Promise<void> {
    assertValidToken(token);
    const prefix = `${token}.`;
    const thumbprint = keyAuthorization.startsWith(prefix) ? keyAuthorization.slice(prefix.length) : undefined;
    // The key authorization itself is never put in a message: only whether its parts fit.
    if (thumbprint === undefined || !isAccountThumbprint(thumbprint)) {
      throw new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot answer HTTP-01 token ${JSON.stringify(token)} from HAProxy (--http01-mode stateless): its key authorization is not "<token>.<43-character thumbprint>", which is all HAProxy can answer; use --http01-mode local or shared`,
      );
    }
    if (this.thumbprint !== undefined && thumbprint !== this.thumbprint) {
      throw new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot answer HTTP-01 token ${JSON.stringify(token)} from HAProxy (--http01-mode stateless): HAProxy answers with thumbprint ${this.thumbprint}, but the account key's is ${thumbprint}; install the lines "acme haproxy-config --http01-mode stateless" prints and reload HAProxy`,
      );
    }
    this.logger.debug('HTTP-01 token answered by HAProxy (stateless)', { token });
  }

  async cleanup(): Promise<void> {
    // Nothing was published.
  }
}

/**
 * The HTTP-01 responder of `mode` for an issuing command: `local` is today's ChallengeResponder
 * (binds `options.address` while an order runs); `shared` and `stateless` bind nothing.
 * @throws ConfigError when `shared` has no registry, or `shared`/`stateless` is asked for TLS-ALPN-01;
 *   ChallengeError CHALLENGE_INVALID when `thumbprint` is given and is not 43 base64url characters
 */
export function responderFor(mode: Http01ResponderMode, options: ResponderForOptions): Http01Responder {
  if (mode === 'local') return new ChallengeResponder(options);
  if (options.challengeType === 'tls-alpn-01') {
    throw new ConfigError(
      `Cannot answer TLS-ALPN-01 with --http01-mode ${mode}: that mode answers HTTP-01 only; use --challenge-type http-01 or --http01-mode local`,
      { source: '--http01-mode' },
    );
  }
  if (mode === 'shared') {
    if (options.registry === undefined) {
      throw new ConfigError(
        'Cannot use --http01-mode shared without a shared token registry: it needs a store every node reads; set --storage postgres://… or use --http01-mode stateless',
        { source: '--http01-mode' },
      );
    }
    return new SharedHttp01Responder(options.registry, options.logger);
  }
  if (options.thumbprint !== undefined && !isAccountThumbprint(options.thumbprint)) {
    throw new ChallengeError(
      'CHALLENGE_INVALID',
      'Cannot answer HTTP-01 from HAProxy (--http01-mode stateless): the thumbprint given is not 43 base64url characters',
    );
  }
  return new StatelessHttp01Responder(options.thumbprint, options.logger);
}
