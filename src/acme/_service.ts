/**
 * AcmeService: the thin adapter over acme-client 5.4.0's low-level Client that the issuance use
 * case orchestrates (account → order → HTTP-01 → finalize → download). Never auto(): it cannot
 * send profiles, ARI `replaces` or IP identifiers, and it polls with ≥ 5 s waits.
 */
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { HttpChallenge } from 'acme-client/types/rfc8555';
import { systemClock, type Clock } from '../clock';
import { AcmeError } from '../errors';
import type { Logger } from '../log';
import { DEFAULT_POLL_POLICY, type PollPolicy } from './_poll';
import { toAcmeError, type CapturedProblem } from './_problem';
import { classify, installTransport, runOperation, type OperationContext, type TransportSettings } from './_transport';
import { pollWhile, type WaitOptions } from './_wait';

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
  /** Poll policy. Default: DEFAULT_POLL_POLICY ({ initialDelayMs: 250, maxDelayMs: 5000, timeoutMs: 120000, retryAfterCapMs: 30000 }). */
  poll?: Partial<PollPolicy>;
  logger: Logger;
  /** How to wait. Default: a real setTimeout. Lets unit tests run without waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for Retry-After dates and poll deadlines. Default: systemClock. */
  clock?: Clock;
}

/** One HTTP-01 challenge the responder must answer before answerChallenge() is called. */
export interface PendingChallenge {
  domain: string;
  authorizationUrl: string;
  challengeUrl: string;
  token: string;
  /** RFC 8555 §8.1 key authorization: serve it, NEVER log it. */
  keyAuthorization: string;
}

/** The directory's `meta` object (RFC 8555 §7.1.1), plus `profiles` where the CA has them. */
export interface DirectoryMeta {
  termsOfService?: string;
  website?: string;
  caaIdentities?: string[];
  externalAccountRequired?: boolean;
  profiles?: Record<string, string>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const ORDER_NOT_READY = 'urn:ietf:params:acme:error:orderNotReady';
const MAX_NAMES_IN_MESSAGES = 3;
const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Quotes names for messages: `"a.test", "b.test" and 3 more`. */
export function describeNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMES_IN_MESSAGES).map((name) => `"${name}"`).join(', ');
  return names.length > MAX_NAMES_IN_MESSAGES ? `${shown} and ${names.length - MAX_NAMES_IN_MESSAGES} more` : shown;
}

function namesOf(order: Order): string[] {
  return (order.identifiers ?? []).map((identifier) => identifier.value);
}

/**
 * ACME account, order, HTTP-01, finalize and download over acme-client's low-level calls.
 * Constructing one reconfigures acme-client's process-global axios instance (see _transport.ts).
 * Every method throws only AcmeError.
 */
const ACCOUNT_DOES_NOT_EXIST = 'urn:ietf:params:acme:error:accountDoesNotExist';

/** The part of acme-client's internal AcmeApi that findExistingAccount() uses. */
interface LowLevelAccountApi {
  createAccount(data: { onlyReturnExisting: true }): Promise<unknown>;
}

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
    };
    installTransport({ requestTimeoutMs, logger: options.logger });
    this.client = this.createClient(undefined);
  }

  private createClient(accountUrl: string | undefined): acme.Client {
    // Low backoff in case any acme-client call polls internally; ours never rely on it.
    return new acme.Client({
      directoryUrl: this.options.directoryUrl,
      accountKey: this.accountKeyPem,
      accountUrl,
      backoffAttempts: 5,
      backoffMin: 250,
      backoffMax: 2_000,
    });
  }

  /**
   * Reuses `accountUrl` when given (no request), otherwise registers the key's account with
   * `termsOfServiceAgreed: true` (or finds the existing one) and returns its URL.
   * @throws {AcmeError} when the CA cannot be reached or refuses the account
   */
  async ensureAccount(input: { email?: string; accountUrl?: string } = {}): Promise<string> {
    if (input.accountUrl !== undefined) {
      this.client = this.createClient(input.accountUrl);
      return input.accountUrl;
    }
    return runOperation(this.settings, 'register the ACME account', async () => {
      const contact = input.email === undefined ? undefined : [`mailto:${input.email}`];
      const account = await this.client.createAccount({ termsOfServiceAgreed: true, contact });
      if (account.status !== undefined && account.status !== 'valid') {
        throw new AcmeError('ACME_PROBLEM', `Cannot register the ACME account: the CA reports it as "${account.status}"`);
      }
      const accountUrl = this.client.getAccountUrl();
      this.options.logger.debug('ACME account ready', { accountUrl });
      return accountUrl;
    });
  }

  /**
   * Asks the CA for the account of this key without creating one; returns its URL, or undefined
   * when the CA does not know the key (RFC 8555 §7.3.1 `onlyReturnExisting`).
   * @throws {AcmeError} when the CA cannot be reached or answers with another problem
   */
  async lookupAccount(): Promise<string | undefined> {
    return runOperation(this.settings, 'look up the ACME account', (context) => this.findExistingAccount(context));
  }

  /**
   * RFC 8555 §7.3.1: asks for the key's account with `onlyReturnExisting`, which creates nothing.
   * acme-client's public createAccount() would follow an HTTP 200 with an empty account update,
   * which pebble -strict refuses, so this uses its low-level API (pinned acme-client 5.4.0).
   */
  private async findExistingAccount(context: OperationContext): Promise<string | undefined> {
    const api = (this.client as unknown as { api?: LowLevelAccountApi }).api;
    if (api === undefined || typeof api.createAccount !== 'function') {
      throw new AcmeError('ACME_PROBLEM', 'Cannot look up the ACME account: this acme-client version has no low-level API; pin acme-client 5.4.0');
    }
    try {
      await api.createAccount({ onlyReturnExisting: true });
    } catch (error) {
      if (classify(error, context).problemType === ACCOUNT_DOES_NOT_EXIST) return undefined;
      throw error;
    }
    return this.client.getAccountUrl();
  }

  /**
   * Creates an order for `domains`, all typed `dns`. Never waits out a rate limit.
   * @throws {AcmeError} ACME_RATE_LIMITED with retryAfterMs; ACME_PROBLEM, ACME_NETWORK, ACME_TIMEOUT
   */
  async newOrder(domains: readonly string[]): Promise<Order> {
    return runOperation(this.settings, `create an order for ${describeNames(domains)}`, async () => {
      const identifiers = domains.map((value) => ({ type: 'dns', value }));
      const order = await this.client.createOrder({ identifiers });
      this.options.logger.debug('ACME order created', { orderUrl: order.url, status: order.status });
      return order;
    });
  }

  /**
   * Returns the HTTP-01 challenge of every authorization of `order` that is not valid yet.
   * @throws {AcmeError} when an authorization is not pending or offers no http-01 challenge
   */
  async http01Challenges(order: Order): Promise<PendingChallenge[]> {
    return runOperation(this.settings, `fetch the authorizations for ${describeNames(namesOf(order))}`, async () => {
      const authorizations = await this.client.getAuthorizations(order);
      const pending: PendingChallenge[] = [];
      for (const authz of authorizations) {
        if (authz.status !== 'valid') pending.push(await this.pendingChallengeOf(authz));
      }
      return pending;
    });
  }

  private async pendingChallengeOf(authz: acme.Authorization): Promise<PendingChallenge> {
    const domain = authz.wildcard === true ? `*.${authz.identifier.value}` : authz.identifier.value;
    const cannot = `Cannot prepare HTTP-01 for "${domain}"`;
    if (authz.status !== 'pending') {
      throw new AcmeError('ACME_PROBLEM', `${cannot}: the authorization is "${authz.status}"; create a new order`);
    }
    const challenge = authz.challenges.find((c): c is HttpChallenge => c.type === 'http-01');
    if (challenge === undefined) {
      const offered = authz.challenges.map((c) => c.type).join(', ') || 'none';
      throw new AcmeError('ACME_PROBLEM', `${cannot}: the CA offered no http-01 challenge (offered: ${offered})`);
    }
    const keyAuthorization = await this.client.getChallengeKeyAuthorization(challenge);
    return { domain, authorizationUrl: authz.url, challengeUrl: challenge.url, token: challenge.token, keyAuthorization };
  }

  /**
   * Tells the CA the challenge is ready to be validated (RFC 8555 §7.5.1).
   * @throws {AcmeError} when the CA refuses or cannot be reached
   */
  async answerChallenge(challenge: PendingChallenge): Promise<void> {
    await runOperation(this.settings, `answer the HTTP-01 challenge for "${challenge.domain}"`, async () => {
      await this.client.completeChallenge({ type: 'http-01', url: challenge.challengeUrl, status: 'pending', token: challenge.token });
    });
  }

  /**
   * Polls the challenge's authorization until it is valid.
   * @throws {AcmeError} ACME_PROBLEM carrying the challenge's problem type when validation failed; ACME_TIMEOUT
   */
  async waitForAuthorization(challenge: PendingChallenge, options: WaitOptions = {}): Promise<void> {
    await runOperation(this.settings, `validate "${challenge.domain}" over HTTP-01`, async (context) => {
      const authz = await pollWhile(context, {
        resource: 'authorization',
        domain: challenge.domain,
        waiting: ['pending'],
        fetch: async () => (await this.client.getAuthorizations({ authorizations: [challenge.authorizationUrl] } as Order))[0]!,
        onWait: options.onWait,
      });
      if (authz.status === 'valid') return;
      const failed = authz.challenges.find((c) => c.error !== undefined);
      const problem = (failed?.error as CapturedProblem | undefined) ?? { detail: `the authorization is "${authz.status}"` };
      throw toAcmeError(new Error(problem.detail ?? ''), { step: context.step, problem });
    });
  }

  /**
   * Finalizes `order` with `csrPem`, polls it until valid and downloads the certificate.
   * Returns the PEM chain, leaf first.
   * @throws {AcmeError} when the order is not ready, becomes invalid, or takes longer than the poll timeout
   */
  async finalize(order: Order, csrPem: string, options: WaitOptions = {}): Promise<string> {
    const names = namesOf(order);
    const valid = await runOperation(this.settings, `finalize the order for ${describeNames(names)}`, async (context) => {
      const poll = (current: Order, waiting: readonly string[]): Promise<Order> => {
        const fetch = (): Promise<Order> => this.client.getOrder(current);
        return pollWhile(context, { resource: 'order', domain: names.join(', '), waiting, fetch, onWait: options.onWait });
      };
      let finalized: Order;
      try {
        finalized = await this.client.finalizeOrder(order, csrPem);
      } catch (error) {
        // RFC 8555 §7.4: the order may still be "pending" right after its authorizations turned valid.
        if (classify(error, context).problemType !== ORDER_NOT_READY) throw error;
        const ready = await poll(order, ['pending']);
        if (ready.status !== 'ready') throw error;
        finalized = await this.client.finalizeOrder(ready, csrPem);
      }
      const done = await poll(finalized, ['ready', 'processing']);
      if (done.status !== 'valid') {
        const problem = (done.error as CapturedProblem | undefined) ?? { detail: `the order is "${done.status}"` };
        throw toAcmeError(new Error(problem.detail ?? ''), { step: context.step, problem });
      }
      return done;
    });
    return runOperation(this.settings, `download the certificate for ${describeNames(names)}`, async () => {
      // `valid` status: getCertificate() skips acme-client's own ≥ 5 s waitForValidStatus().
      const pem = await this.client.getCertificate(valid);
      this.options.logger.debug('ACME certificate downloaded', { orderUrl: valid.url });
      return pem;
    });
  }

  /**
   * Reads the directory's `meta` (terms of service, profiles…); also a cheap reachability check.
   * @throws {AcmeError} when the directory cannot be read
   */
  async directoryMeta(): Promise<DirectoryMeta> {
    return runOperation(this.settings, 'read the ACME directory', async () => {
      // HttpClient.getDirectory() is internal to acme-client 5.4.0 (pinned); it shares the
      // client's directory cache, so the next signed request does not fetch it again.
      const http = (this.client as unknown as { http?: { getDirectory?: () => Promise<unknown> } }).http;
      if (typeof http?.getDirectory !== 'function') {
        throw new Error('acme-client has no HttpClient.getDirectory(); check the pinned version');
      }
      const directory = (await http.getDirectory()) as { meta?: DirectoryMeta } | null;
      return { ...(directory?.meta ?? {}) };
    });
  }

  /** Closes idle keep-alive connections of the CA-bundle agent, if any. */
  close(): void {
    this.settings.httpsAgent?.destroy();
  }
}
