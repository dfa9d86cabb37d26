/**
 * AcmeService: the thin adapter over acme-client 5.4.0's low-level Client that the issuance use
 * case orchestrates (account → order → HTTP-01 or TLS-ALPN-01 → finalize → download). Never auto(): it cannot
 * send profiles, ARI `replaces` or IP identifiers, and it polls with ≥ 5 s waits.
 */
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type * as acme from 'acme-client';
import { acmeLib } from './_lib';
import type { HttpChallenge } from 'acme-client/types/rfc8555';
import { systemClock, type Clock } from '../clock';
import { AcmeError } from '../errors';
import type { Logger } from '../log';
import { findExistingAccount, registerAccount, type ExternalAccountBinding } from './_account';
import { checkProfile, readDirectory, renewalInfoBase, toDirectoryMeta, type DirectoryMeta } from './_directory';
import { toIdentifier, type Identifier, type IdentifierType } from './_identifiers';
import { revokeStep, revokeWith, rolloverWith, type RevokeOptions } from './_lifecycle';
import { AUTHORIZATION_FETCH_CONCURRENCY, mapBounded } from './_fanOut';
import { placeOrder, type NewOrderOptions, type PlacedOrder } from './_order';
import { authorizationMismatch, orderMismatch } from './_orderMatch';
import { decodeProblem, type CapturedProblem } from './_http';
import { DEFAULT_POLL_POLICY, type PollPolicy } from './_poll';
import { problemError } from './_problem';
import { assertCertId, fetchRenewalInfo, renewalInfoUrl, type RenewalInfo } from './_renewalInfo';
import { classify, inRequestChain, installTransport, runOperation, type TransportSettings } from './_transport';
import { pollWhile, type AcmeCallOptions, type WaitOptions } from './_wait';

/** An ACME order as acme-client returns it (RFC 8555 §7.1.3 plus its `url`). */
export type Order = acme.Order;

/** Options of AcmeService. */
export interface AcmeServiceOptions {
  /** The CA's directory URL (RFC 8555 §7.1.1). */
  directoryUrl: string;
  /** Extra PEM roots for the CA's TLS, ADDED to Node's defaults (tls.rootCertificates). Default: none. */
  caBundlePem?: string;
  /** Timeout of each HTTP request, in ms. Default: 30000. */
  requestTimeoutMs?: number;
  /** Poll policy. Default: DEFAULT_POLL_POLICY ({ initialDelayMs: 25, maxDelayMs: 5000, timeoutMs: 120000, retryAfterCapMs: 30000, errorDelayMs: 250, maxPolls: 30 }). */
  poll?: Partial<PollPolicy>;
  logger: Logger;
  /**
   * How to wait; should end early when `signal` fires (a call stops waiting then either way).
   * Default: a real setTimeout that is cleared on abort. Lets unit tests run without waiting.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for Retry-After dates and poll deadlines. Default: systemClock. */
  clock?: Clock;
  /** EAB for CAs that require it (RFC 8555 §7.3.4); acme-client signs it into newAccount only, never into lookups. Default: none. */
  externalAccountBinding?: ExternalAccountBinding;
  /**
   * Told when each operation starts, with its step (`create an order for "a.test"`); returns what
   * to call when it ends. Lets the CLI say which step was running when its deadline passed. Default: none.
   */
  onOperation?: (step: string) => () => void;
}

/** The challenge types this client answers: HTTP-01 (RFC 8555 §8.3) and TLS-ALPN-01 (RFC 8737). */
export type ChallengeType = 'http-01' | 'tls-alpn-01';

const CHALLENGE_LABELS: Readonly<Record<ChallengeType, string>> = {
  'http-01': 'HTTP-01',
  'tls-alpn-01': 'TLS-ALPN-01',
};

/** One challenge the responder must answer before answerChallenge() is called. */
export interface PendingChallenge {
  /** The challenge's type; absent means `http-01`. */
  type?: ChallengeType;
  /** The identifier's value (`*.` prepended for a wildcard); an IP literal for type `ip`. */
  domain: string;
  /**
   * `dns`, or `ip` (RFC 8738 §7: the CA fetches `http://<ip>:80/.well-known/acme-challenge/<token>`
   * with Host `<ip>`, `[<ipv6>]` for IPv6). Always set by http01Challenges(); absent means `dns`.
   */
  identifierType?: IdentifierType;
  authorizationUrl: string;
  challengeUrl: string;
  token: string;
  /** RFC 8555 §8.1 key authorization: serve it, NEVER log it. */
  keyAuthorization: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const ORDER_NOT_READY = 'urn:ietf:params:acme:error:orderNotReady';
const MAX_NAMES_IN_MESSAGES = 3;

/** setTimeout that is cleared, and rejects with the reason, when `signal` fires. */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Quotes names for messages: `"a.test", "b.test" and 3 more`. */
export function describeNames(names: readonly string[]): string {
  const shown = names
    .slice(0, MAX_NAMES_IN_MESSAGES)
    .map((name) => `"${name}"`)
    .join(', ');
  return names.length > MAX_NAMES_IN_MESSAGES ? `${shown} and ${names.length - MAX_NAMES_IN_MESSAGES} more` : shown;
}

function namesOf(order: Order): string[] {
  return (order.identifiers ?? []).map((identifier) => identifier.value);
}

/** The order's identifiers as listed (checked against the request by newOrder()). */
function identifiersOf(order: Order): Identifier[] {
  return Array.isArray(order.identifiers) ? (order.identifiers as Identifier[]) : [];
}

/**
 * ACME account, order, HTTP-01, ARI, finalize and download over acme-client's low-level calls.
 * Constructing one installs our adapter on acme-client's process-global axios instance (see
 * _transport.ts).
 *
 * Cancellation: every method takes `{ signal }` in its last (options) argument. When the signal
 * fires, the request in flight is closed at once, a poll wait ends, no further request is sent,
 * and the method rejects with `signal.reason` itself. Otherwise every method throws only AcmeError.
 */
export class AcmeService {
  private client: acme.Client;
  private readonly settings: TransportSettings;

  constructor(
    private readonly accountKeyPem: string,
    private readonly options: AcmeServiceOptions,
  ) {
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // One SecureContext for all connections: passing `ca` to the Agent instead makes every new
    // TLS connection re-parse ~140 roots (measured: +50 ms per request against pebble).
    const httpsAgent =
      options.caBundlePem === undefined
        ? undefined
        : new Agent({
            secureContext: createSecureContext({ ca: [...rootCertificates, options.caBundlePem] }),
            keepAlive: true,
          });
    this.settings = {
      requestTimeoutMs,
      httpsAgent,
      logger: options.logger,
      sleep: options.sleep ?? realSleep,
      clock: options.clock ?? systemClock,
      poll: { ...DEFAULT_POLL_POLICY, ...options.poll },
      onOperation: options.onOperation,
    };
    installTransport({ requestTimeoutMs, logger: options.logger });
    this.client = this.createClient(undefined);
  }

  private createClient(accountUrl: string | undefined): acme.Client {
    // Low backoff in case any acme-client call polls internally; ours never rely on it.
    return new (acmeLib().Client)({
      directoryUrl: this.options.directoryUrl,
      accountKey: this.accountKeyPem,
      accountUrl,
      backoffAttempts: 5,
      backoffMin: 250,
      backoffMax: 2_000,
      ...(this.options.externalAccountBinding === undefined
        ? {}
        : { externalAccountBinding: { ...this.options.externalAccountBinding } }),
    });
  }

  /**
   * Reuses `accountUrl` when given (no request), otherwise registers the key's account with
   * `termsOfServiceAgreed: true` and the external account binding if configured (or finds the
   * existing one) and returns its URL.
   * @throws {AcmeError} when the CA cannot be reached or refuses the account (externalAccountRequired names --eab-kid and --eab-hmac-key)
   */
  async ensureAccount(
    input: { email?: string; accountUrl?: string } = {},
    options: AcmeCallOptions = {},
  ): Promise<string> {
    options.signal?.throwIfAborted();
    if (input.accountUrl !== undefined) {
      this.client = this.createClient(input.accountUrl);
      return input.accountUrl;
    }
    const registration = {
      email: input.email,
      hasExternalAccountBinding: this.options.externalAccountBinding !== undefined,
    };
    return runOperation(
      this.settings,
      'register the ACME account',
      (ctx) => registerAccount(this.client, ctx, registration, this.options.logger),
      options.signal,
    );
  }

  /**
   * Asks the CA for the account of this key without creating one; returns its URL, or undefined
   * when the CA does not know the key (RFC 8555 §7.3.1 `onlyReturnExisting`).
   * @throws {AcmeError} when the CA cannot be reached or answers with another problem
   */
  async lookupAccount(options: AcmeCallOptions = {}): Promise<string | undefined> {
    return runOperation(
      this.settings,
      'look up the ACME account',
      (context) => findExistingAccount(this.client, context),
      options.signal,
    );
  }

  /**
   * Creates an order for `identifiers`: DNS names as type `dns`, IP literals as type `ip`
   * (RFC 8738; IPv6 in RFC 5952 form), with `profile` and `replaces` when given. A profile the
   * directory does not offer fails before any order exists. When the CA refuses `replaces`, the
   * order is created once more without it (logged as a warning; see `replacesAccepted`).
   * An order for other identifiers, or with more than one authorization per identifier, fails
   * before any authorization is fetched (RFC 8555 §7.4). Never waits out a rate limit.
   * @throws {AcmeError} ACME_RATE_LIMITED with retryAfterMs; ACME_PROBLEM (unknown profile, IPv6 zone ID, an order that does not match the request, CA problems), ACME_NETWORK, ACME_TIMEOUT
   */
  async newOrder(identifiers: readonly string[], options: NewOrderOptions = {}): Promise<PlacedOrder> {
    const typed = identifiers.map(toIdentifier);
    const { profile, replaces, signal } = options;
    return runOperation(
      this.settings,
      `create an order for ${describeNames(identifiers)}`,
      async (context) => {
        if (profile !== undefined) checkProfile(toDirectoryMeta(await readDirectory(this.client)), profile);
        const request = { identifiers: typed, profile, replaces };
        const order = await placeOrder(this.client, context, request, this.options.logger);
        const mismatch = orderMismatch(typed, order);
        // Not retryable: the same CA would answer the same way; the order is left to expire.
        if (mismatch !== undefined) throw new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: ${mismatch}`);
        this.options.logger.debug('ACME order created', { orderUrl: order.url, status: order.status, profile });
        return order;
      },
      signal,
    );
  }

  /**
   * Returns the HTTP-01 challenge of every authorization of `order` that is not valid yet:
   * pendingChallenges(order, 'http-01').
   * @throws {AcmeError} as pendingChallenges()
   */
  async http01Challenges(order: Order, options: AcmeCallOptions = {}): Promise<PendingChallenge[]> {
    return this.pendingChallenges(order, 'http-01', options);
  }

  /**
   * Returns the challenge of type `type` of every authorization of `order` that is not valid yet.
   * The authorizations are fetched AUTHORIZATION_FETCH_CONCURRENCY at a time, and only when the
   * order lists at most one per identifier; each must be for one of the order's identifiers.
   * @throws {AcmeError} when the order or an authorization does not match, an authorization is not pending, or offers no challenge of that type (the message names the types it offered)
   */
  async pendingChallenges(
    order: Order,
    type: ChallengeType,
    options: AcmeCallOptions = {},
  ): Promise<PendingChallenge[]> {
    return runOperation(
      this.settings,
      `fetch the authorizations for ${describeNames(namesOf(order))}`,
      async (context) => {
        const identifiers = identifiersOf(order);
        const mismatch = orderMismatch(identifiers, order);
        if (mismatch !== undefined) throw new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: ${mismatch}`);
        const authorizations = await mapBounded(order.authorizations, AUTHORIZATION_FETCH_CONCURRENCY, (url) =>
          this.fetchAuthorization(url),
        );
        const unexpected = authorizationMismatch(identifiers, authorizations);
        if (unexpected !== undefined) throw new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: ${unexpected}`);
        const pending: PendingChallenge[] = [];
        for (const authz of authorizations) {
          if (authz.status !== 'valid') pending.push(await this.pendingChallengeOf(authz, type));
        }
        return pending;
      },
      options.signal,
    );
  }

  /**
   * POST-as-GET of one authorization (RFC 8555 §7.5), with its `url` added by acme-client; its own
   * request chain, since several run at once.
   */
  private async fetchAuthorization(url: string): Promise<acme.Authorization> {
    const [authorization] = await inRequestChain(() =>
      this.client.getAuthorizations({ authorizations: [url] } as Order),
    );
    return authorization!;
  }

  private async pendingChallengeOf(authz: acme.Authorization, type: ChallengeType): Promise<PendingChallenge> {
    const domain = authz.wildcard === true ? `*.${authz.identifier.value}` : authz.identifier.value;
    const cannot = `Cannot prepare ${CHALLENGE_LABELS[type]} for "${domain}"`;
    if (authz.status !== 'pending') {
      throw new AcmeError('ACME_PROBLEM', `${cannot}: the authorization is "${authz.status}"; create a new order`);
    }
    // acme-client 5.4's types list only http-01 and dns-01; its code handles tls-alpn-01 too.
    const challenge = (authz.challenges as Array<{ type: string }>).find((c) => c.type === type) as
      HttpChallenge | undefined;
    if (challenge === undefined) {
      const offered =
        (authz.challenges as Array<{ type: unknown }>)
          .map((c) => JSON.stringify(String(c.type).slice(0, 40)))
          .join(', ') || 'none';
      throw new AcmeError(
        'ACME_PROBLEM',
        `${cannot}: the CA offered no ${type} challenge (offered: ${offered}); choose one it offers with --challenge-type`,
      );
    }
    // RFC 8737 §3 and RFC 8555 §8.1: the same key authorization for both types; acme-client
    // returns it as is for http-01 and tls-alpn-01 (only dns-01 gets a digest).
    const keyAuthorization = await this.client.getChallengeKeyAuthorization(challenge);
    const identifierType: IdentifierType = authz.identifier.type === 'ip' ? 'ip' : 'dns';
    return {
      type,
      domain,
      identifierType,
      authorizationUrl: authz.url,
      challengeUrl: challenge.url,
      token: challenge.token,
      keyAuthorization,
    };
  }

  /**
   * Tells the CA the challenge is ready to be validated (RFC 8555 §7.5.1).
   * @throws {AcmeError} when the CA refuses or cannot be reached
   */
  async answerChallenge(challenge: PendingChallenge, options: AcmeCallOptions = {}): Promise<void> {
    const type = challenge.type ?? 'http-01';
    await runOperation(
      this.settings,
      `answer the ${CHALLENGE_LABELS[type]} challenge for "${challenge.domain}"`,
      async () => {
        // acme-client only POSTs `{}` to the URL (RFC 8555 §7.5.1); the type is not sent.
        await this.client.completeChallenge({
          type: 'http-01',
          url: challenge.challengeUrl,
          status: 'pending',
          token: challenge.token,
        });
      },
      options.signal,
    );
  }

  /**
   * Polls the challenge's authorization until it is valid.
   * @throws {AcmeError} ACME_PROBLEM carrying the challenge's problem type when validation failed; ACME_TIMEOUT
   */
  async waitForAuthorization(challenge: PendingChallenge, options: WaitOptions = {}): Promise<void> {
    await runOperation(
      this.settings,
      `validate "${challenge.domain}" over ${CHALLENGE_LABELS[challenge.type ?? 'http-01']}`,
      async (context) => {
        const authz = await pollWhile(context, {
          resource: 'authorization',
          domain: challenge.domain,
          waiting: ['pending'],
          fetch: () => this.fetchAuthorization(challenge.authorizationUrl),
          onWait: options.onWait,
        });
        if (authz.status === 'valid') return;
        const failed = authz.challenges.find((c) => c.error !== undefined);
        const problem = decodeProblem(failed?.error) ?? { detail: `the authorization is "${authz.status}"` };
        throw problemError(problem, context);
      },
      options.signal,
    );
  }

  /**
   * Finalizes `order` with `csrPem`, polls it until valid and downloads the certificate.
   * Returns the PEM chain, leaf first.
   * @throws {AcmeError} when the order is not ready, becomes invalid, or takes longer than the poll timeout
   */
  async finalize(order: Order, csrPem: string, options: WaitOptions = {}): Promise<string> {
    const names = namesOf(order);
    const valid = await runOperation(
      this.settings,
      `finalize the order for ${describeNames(names)}`,
      async (context) => {
        const poll = (current: Order, waiting: readonly string[]): Promise<Order> => {
          const fetch = (): Promise<Order> => this.client.getOrder(current);
          return pollWhile(context, {
            resource: 'order',
            domain: names.join(', '),
            waiting,
            fetch,
            onWait: options.onWait,
          });
        };
        let finalized: Order;
        try {
          finalized = await this.client.finalizeOrder(order, csrPem);
        } catch (error) {
          // RFC 8555 §7.4: the order may still be "pending" right after its authorizations turned valid.
          const notReady = classify(error, context);
          if (notReady.problemType !== ORDER_NOT_READY) throw notReady;
          const ready = await poll(order, ['pending']);
          if (ready.status !== 'ready') throw notReady;
          finalized = await this.client.finalizeOrder(ready, csrPem);
        }
        const done = await poll(finalized, ['ready', 'processing']);
        if (done.status !== 'valid') {
          const problem: CapturedProblem = decodeProblem(done.error) ?? { detail: `the order is "${done.status}"` };
          throw problemError(problem, context);
        }
        return done;
      },
      options.signal,
    );
    return runOperation(
      this.settings,
      `download the certificate for ${describeNames(names)}`,
      async () => {
        // `valid` status: getCertificate() skips acme-client's own ≥ 5 s waitForValidStatus().
        const pem = await this.client.getCertificate(valid);
        this.options.logger.debug('ACME certificate downloaded', { orderUrl: valid.url });
        return pem;
      },
      options.signal,
    );
  }

  /**
   * Reads the directory's `meta` (terms of service, profiles…) and whether it offers ARI; also a
   * cheap reachability check. acme-client caches the directory for a day.
   * @throws {AcmeError} when the directory cannot be read
   */
  async directoryMeta(options: AcmeCallOptions = {}): Promise<DirectoryMeta> {
    return runOperation(
      this.settings,
      'read the ACME directory',
      async () => toDirectoryMeta(await readDirectory(this.client)),
      options.signal,
    );
  }

  /**
   * Fetches the CA's suggested renewal window for the certificate with ARI CertID `certId`
   * (RFC 9773 §4.1, an unauthenticated GET of `<renewalInfo>/<certId>`), with the response's
   * Retry-After. Resolves undefined when the directory has no `renewalInfo`.
   * @throws {AcmeError} ACME_PROBLEM naming the URL for a bad answer (not JSON, no window, end ≤ start) or an HTTP error; ACME_RATE_LIMITED, ACME_NETWORK, ACME_TIMEOUT
   */
  async renewalInfo(certId: string, options: AcmeCallOptions = {}): Promise<RenewalInfo | undefined> {
    assertCertId(certId); // before any request
    return runOperation(
      this.settings,
      `fetch the renewal information for "${certId}"`,
      async (context) => {
        const base = renewalInfoBase(await readDirectory(this.client));
        return base === undefined ? undefined : fetchRenewalInfo(context, renewalInfoUrl(base, certId));
      },
      options.signal,
    );
  }

  /**
   * Revokes `certPem` (RFC 8555 §7.6), signed with this account; call ensureAccount() or
   * lookupAccount() first. See _lifecycle.ts.
   * @throws {AcmeError} ACME_PROBLEM (alreadyRevoked, unauthorized, a reason a subscriber cannot send), ACME_NETWORK, ACME_TIMEOUT
   */
  async revokeCertificate(certPem: string, options: RevokeOptions = {}): Promise<void> {
    await runOperation(
      this.settings,
      revokeStep(certPem),
      () => revokeWith(this.client, certPem, options),
      options.signal,
    );
  }

  /**
   * Rolls the account over to `newKeyPem` (RFC 8555 §7.3.5); save the new key durably first.
   * Afterwards the CA knows the account only by the new key: build a new AcmeService with it.
   * @throws {AcmeError} ACME_PROBLEM (e.g. the new key is already in use), ACME_NETWORK, ACME_TIMEOUT
   */
  async rolloverAccountKey(newKeyPem: string, options: AcmeCallOptions = {}): Promise<void> {
    await runOperation(
      this.settings,
      'roll over the ACME account key',
      () => rolloverWith(this.client, newKeyPem),
      options.signal,
    );
  }

  /** Closes idle keep-alive connections of the CA-bundle agent, if any. */
  close(): void {
    this.settings.httpsAgent?.destroy();
  }
}
