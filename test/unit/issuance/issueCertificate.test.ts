import { createPublicKey } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { ChallengeError, AcmeError } from '../../../src/errors';
import { certs } from '../../fixtures/certs';
import { fixedClock } from '../../../src/clock';
import { CapturingLogger } from '../../../src/log';
import {
  MemoryCertificateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
} from '../../../src/storage';
import { issueCertificate, type AcmeOrderClient, type IssuanceDeps } from '../../../src/issuance';
import type { Order, PendingChallenge } from '../../../src/acme';

const DIRECTORY = 'https://ca.example.test/dir';
const TOKEN_A = 'tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const TOKEN_B = 'tokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

/** In-memory ACME peer that records every call; validation outcome per domain is configurable. */
class RecordingAcme implements AcmeOrderClient {
  readonly calls: string[] = [];
  constructor(
    readonly keyPem: string,
    private readonly failValidationOf: string | undefined,
  ) {}
  async ensureAccount(input: { email?: string; accountUrl?: string }): Promise<string> {
    this.calls.push(`ensureAccount ${input.accountUrl ?? 'new'}`);
    return input.accountUrl ?? 'https://ca.example.test/acct/1';
  }
  async lookupAccount(): Promise<string | undefined> {
    this.calls.push('lookupAccount');
    // Like a CA that re-registered the key elsewhere: the account now lives at acct/1.
    return 'https://ca.example.test/acct/1';
  }
  async directoryMeta(): Promise<{ hasRenewalInfo: boolean }> {
    return { hasRenewalInfo: false };
  }
  async renewalInfo(): Promise<undefined> {
    return undefined;
  }
  async newOrder(domains: readonly string[]): Promise<Order> {
    this.calls.push(`newOrder ${domains.join(',')}`);
    return {
      url: 'https://ca.example.test/order/1',
      identifiers: domains.map((value) => ({ type: 'dns', value })),
    } as unknown as Order;
  }
  async pendingChallenges(): Promise<PendingChallenge[]> {
    return [
      {
        domain: 'a.example.test',
        authorizationUrl: 'https://ca/authz/a',
        challengeUrl: 'https://ca/chall/a',
        token: TOKEN_A,
        keyAuthorization: `${TOKEN_A}.thumb`,
      },
      {
        domain: 'b.example.test',
        authorizationUrl: 'https://ca/authz/b',
        challengeUrl: 'https://ca/chall/b',
        token: TOKEN_B,
        keyAuthorization: `${TOKEN_B}.thumb`,
      },
    ];
  }
  async answerChallenge(challenge: PendingChallenge): Promise<void> {
    this.calls.push(`answer ${challenge.domain}`);
  }
  async waitForAuthorization(challenge: PendingChallenge): Promise<void> {
    this.calls.push(`wait ${challenge.domain}`);
    if (challenge.domain === this.failValidationOf) {
      throw new AcmeError('ACME_PROBLEM', `Cannot validate "${challenge.domain}" over HTTP-01: connection refused`);
    }
  }
  csrPem: string | undefined;
  async finalize(_order: Order, csrPem: string): Promise<string> {
    this.calls.push('finalize');
    this.csrPem = csrPem;
    throw new AcmeError(
      'ACME_PROBLEM',
      'Cannot finalize: stop here, the certificate path is covered by integration tests',
    );
  }
}

/** Responder fake: tracks published tokens and whether the listener is held. */
class RecordingResponder {
  readonly published = new Set<string>();
  held = 0;
  async acquire(): Promise<() => Promise<void>> {
    this.held += 1;
    return async () => {
      this.held -= 1;
    };
  }
  async present(token: string): Promise<void> {
    this.published.add(token);
  }
  async cleanup(token: string): Promise<void> {
    this.published.delete(token);
  }
}

function setup(options: { failValidationOf?: string; preflight?: IssuanceDeps['preflight'] } = {}) {
  const store = new MemoryCertificateStore();
  const responder = new RecordingResponder();
  const clients: RecordingAcme[] = [];
  const deps: IssuanceDeps = {
    directoryUrl: DIRECTORY,
    store,
    bundles: new MemoryLocalBundles({ store }),
    locks: new MemoryLocks(),
    issued: new MemoryIssuedCertificateStore(),
    responder,
    acmeFor: (keyPem) => {
      const client = new RecordingAcme(keyPem, options.failValidationOf);
      clients.push(client);
      return client;
    },
    preflight: options.preflight,
    clock: fixedClock(new Date('2026-11-27T00:00:00Z')),
    logger: new CapturingLogger(),
  };
  return { store, responder, clients, deps };
}

const REQUEST = {
  name: 'a.example.test',
  domains: ['a.example.test', 'b.example.test'],
  keyType: 'ec256' as const,
  email: 'ops@example.test',
};

describe('issueCertificate()', () => {
  test('issueCertificate() stops before any CA validation when preflight fails, and cleans up', async () => {
    const preflight = async (target: { domain: string }): Promise<void> => {
      if (target.domain === 'b.example.test')
        throw new ChallengeError('CHALLENGE_PREFLIGHT', 'Preflight failed for "b.example.test": HTTP 503');
    };
    const { store, responder, clients, deps } = setup({ preflight });

    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow('Preflight failed for "b.example.test": HTTP 503');

    expect(clients[0]!.calls).toEqual(['ensureAccount new', 'newOrder a.example.test,b.example.test']);
    expect([...responder.published]).toEqual([]);
    expect(responder.held).toBe(0);
    expect(store.certificates.size).toBe(0);
  });

  test('issueCertificate() keeps a newly registered account even when the order then fails', async () => {
    const { store, deps } = setup({ failValidationOf: 'a.example.test' });

    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(AcmeError);

    const account = await store.loadAccount(DIRECTORY);
    expect(account).toMatchObject({
      accountUrl: 'https://ca.example.test/acct/1',
      email: 'ops@example.test',
      directoryUrl: DIRECTORY,
    });
    expect(account!.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  test('issueCertificate() reuses the stored account key and refreshes its URL from the CA', async () => {
    const { store, clients, deps } = setup({ failValidationOf: 'b.example.test' });
    await store.saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: 'https://ca.example.test/acct/7',
      keyPem: 'stored-key',
      createdAt: '2026-01-01T00:00:00Z',
    });

    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(
      'Cannot validate "b.example.test" over HTTP-01: connection refused',
    );

    expect(clients.map((c) => c.keyPem)).toEqual(['stored-key']);
    expect(clients[0]!.calls[0]).toBe('lookupAccount');
    // The fake CA knows the key under acct/1, so the stored URL is brought up to date.
    expect((await store.loadAccount(DIRECTORY))!.accountUrl).toBe('https://ca.example.test/acct/1');
  });

  test('issueCertificate() answers every challenge only after all tokens are published, and never finalizes a failed order', async () => {
    const { responder, clients, deps } = setup({ failValidationOf: 'b.example.test' });

    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(AcmeError);

    const calls = clients[0]!.calls;
    expect(calls).toEqual(
      expect.arrayContaining([
        'answer a.example.test',
        'answer b.example.test',
        'wait a.example.test',
        'wait b.example.test',
      ]),
    );
    expect(calls).not.toContain('finalize');
    expect([...responder.published]).toEqual([]);
    expect(responder.held).toBe(0);
  });

  test.each<[string, string | undefined, number, number]>([
    ['validates 12 challenges at most 4 at a time', undefined, 4, 12],
    ['answers no queued challenge once one validation failed', 'n0.example.test', 4, 4],
  ])('issueCertificate() %s', async (_label, failing, peak, answered) => {
    const domains = Array.from({ length: 12 }, (_, i) => `n${i}.example.test`);
    const { deps } = setup({ failValidationOf: failing });
    let inFlight = 0;
    let seen = 0;
    const answers: string[] = [];
    deps.acmeFor = (keyPem) => {
      const client = new RecordingAcme(keyPem, failing);
      client.pendingChallenges = async () =>
        domains.map((domain, i) => ({
          domain,
          authorizationUrl: `https://ca/authz/${i}`,
          challengeUrl: `https://ca/chall/${i}`,
          token: `${TOKEN_A}${i}`,
          keyAuthorization: `${TOKEN_A}${i}.thumb`,
        }));
      client.answerChallenge = async (challenge) => {
        answers.push(challenge.domain);
        inFlight += 1;
        seen = Math.max(seen, inFlight);
      };
      const wait = client.waitForAuthorization.bind(client);
      client.waitForAuthorization = async (challenge) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight -= 1;
        return wait(challenge);
      };
      return client;
    };
    await expect(issueCertificate({ ...REQUEST, domains }, deps)).rejects.toThrow(AcmeError);
    expect([seen, answers.length]).toEqual([peak, answered]);
  });

  test.each([
    [
      'reuses the stored key when --reuse-key is set and the type matches',
      { reuseKey: true, keyType: 'ec256' as const },
      true,
    ],
    ['makes a new key without --reuse-key', { reuseKey: false, keyType: 'ec256' as const }, false],
    ['makes a new key when the type changed', { reuseKey: true, keyType: 'ec384' as const }, false],
  ])('issueCertificate() %s', async (_label, options, reused) => {
    const { store, clients, deps } = setup();
    await store.saveCertificate({
      name: 'site',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
    });
    // The fake CA never answers the challenges: let validation pass, then stop at finalize.
    await expect(issueCertificate({ name: 'site', domains: ['example.com'], ...options }, deps)).rejects.toThrow(
      'Cannot finalize',
    );
    const csrKey = Buffer.from(new Pkcs10CertificateRequest(clients[0]!.csrPem!).publicKey.rawData);
    const storedKey = createPublicKey(certs.ecLeafKey).export({ type: 'spki', format: 'der' });
    expect(csrKey.equals(storedKey)).toBe(reused);
  });
});
