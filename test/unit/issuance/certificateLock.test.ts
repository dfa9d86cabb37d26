/**
 * Every issuance and renewal runs under `certificate/<name>`, the lock that serialises work on one
 * certificate across processes and nodes sharing a store; its lost lease and the command's signal
 * stop the work before the CA finalizes and before anything is written. A real signing CA
 * (./_issuingCa.ts) counts the orders and finalizations.
 */
import { LockError } from '../../../src/errors';
import { issueCertificate, renewCertificates, type RenewalDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import type { AcmeOrderClient } from '../../../src/issuance';
import { IssuingCa } from './_issuingCa';
import { abortOf } from '../_abort';

const NOW = new Date('2026-12-01T00:00:00Z');
const NAME = 'example.net';
const LOCK = `certificate/${NAME}` as const;
const REQUEST = { name: NAME, domains: [NAME], keyType: 'ec256' as const };
const TOKEN = 'tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function setup(options: { wrap?: (client: AcmeOrderClient) => AcmeOrderClient } = {}) {
  const clock = { now: () => new Date(NOW.getTime()) };
  const ca = new IssuingCa({ now: clock.now });
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock });
  const locks = new MemoryLocks({ staleMs: 60, refreshMs: 5, pollMs: 5 });
  const finalized: string[] = [];
  const deps: RenewalDeps = {
    directoryUrl: 'https://ca.example.test/dir',
    store,
    bundles: new MemoryLocalBundles({ store }),
    locks,
    lockTimeoutMs: 2_000,
    issued: new MemoryIssuedCertificateStore('/srv/acme'),
    acmeFor: () => {
      const client = ca.client();
      // One challenge, so that issuance waits for the CA's validation as it does for real.
      client.pendingChallenges = async () => [
        {
          domain: NAME,
          authorizationUrl: 'https://ca.example.test/authz/1',
          challengeUrl: 'https://ca.example.test/chall/1',
          token: TOKEN,
          keyAuthorization: `${TOKEN}.thumbprint`,
        },
      ];
      const finalize = client.finalize.bind(client);
      client.finalize = async (order, csrPem, callOptions) => {
        finalized.push(order.url);
        return finalize(order, csrPem, callOptions);
      };
      return options.wrap?.(client) ?? client;
    },
    responder: {
      acquire: async () => async () => undefined,
      present: async () => undefined,
      cleanup: async () => undefined,
    },
    clock,
    logger: new CapturingLogger(),
    renewalState: new MemoryRenewalStateStore(),
    deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
    random: () => 0.5,
  };
  return { ca, store, locks, deps, finalized };
}

describe('issueCertificate() under the certificate lock', () => {
  test('issueCertificate() waits for another holder of certificate/<name> and gives up with LOCK_BUSY before any ACME request', async () => {
    const { ca, locks, deps } = setup();
    const other = await locks.acquire(LOCK);
    try {
      await expect(issueCertificate(REQUEST, { ...deps, lockTimeoutMs: 50 })).rejects.toMatchObject({
        code: 'LOCK_BUSY',
      });
      expect(ca.orders).toEqual([]);
    } finally {
      await other.release();
    }
  });

  test('issueCertificate() holds certificate/<name> while it works and releases it after', async () => {
    let heldDuringOrder: boolean | undefined;
    const { locks, deps } = setup({
      wrap: (client) => {
        const newOrder = client.newOrder.bind(client);
        client.newOrder = async (identifiers, options) => {
          heldDuringOrder = locks.isHeld(LOCK);
          return newOrder(identifiers, options);
        };
        return client;
      },
    });
    await issueCertificate(REQUEST, deps);
    expect([heldDuringOrder, locks.isHeld(LOCK)]).toEqual([true, false]);
  });

  test('a lease lost while the CA validates stops issueCertificate() before finalize, and nothing is stored', async () => {
    const { locks, deps, store, finalized } = setup({
      wrap: (client) => {
        client.waitForAuthorization = async (_challenge, options) => {
          locks.takeOver(LOCK);
          throw await abortOf(options?.signal);
        };
        return client;
      },
    });
    const failure = await issueCertificate(REQUEST, deps).catch((error: unknown) => error);
    expect([failure instanceof LockError, (failure as LockError).code]).toEqual([true, 'LOCK_LOST']);
    expect([finalized, await store.loadCertificateMeta(NAME), await deps.issued.listNames()]).toEqual([
      [],
      undefined,
      [],
    ]);
  });

  test("the command's signal reaches the ACME wait: aborted there, issueCertificate() rejects with its reason and never finalizes", async () => {
    const controller = new AbortController();
    const { deps, store, finalized } = setup({
      wrap: (client) => {
        client.waitForAuthorization = async (_challenge, options) => {
          controller.abort(new Error('SIGTERM'));
          throw await abortOf(options?.signal);
        };
        return client;
      },
    });
    await expect(issueCertificate(REQUEST, deps, { signal: controller.signal })).rejects.toThrow('SIGTERM');
    expect([finalized, await store.loadCertificateMeta(NAME)]).toEqual([[], undefined]);
  });

  test('two issueCertificate() calls for one name at once place one order: the second uses what the first stored', async () => {
    const { ca, store, deps } = setup();
    const [first, second] = await Promise.all([issueCertificate(REQUEST, deps), issueCertificate(REQUEST, deps)]);
    expect(ca.orders).toHaveLength(1);
    expect(second.serial).toBe(first.serial);
    expect([first.resumed, second.resumed].sort()).toEqual([false, true]);
    expect((await store.loadCertificateMeta(NAME))?.serial).toBe(first.serial);
  });

  test.each([
    ['without reuseFresh, a second issueCertificate() orders anew', false, 2],
    ['with reuseFresh (a shared store), a fresh stored certificate serves the second call: one order', true, 1],
  ])('%s', async (_what, reuseFresh, orders) => {
    const { ca, deps } = setup();
    const first = await issueCertificate(REQUEST, deps);
    const second = await issueCertificate(REQUEST, deps, { reuseFresh });
    expect(ca.orders).toHaveLength(orders);
    expect(second.serial === first.serial).toBe(reuseFresh);
  });

  test('a certificate stored meanwhile for other names is not used: the waiting call orders its own', async () => {
    const { ca, deps } = setup();
    const other = { ...REQUEST, domains: [NAME, `www.${NAME}`] };
    const [first, second] = await Promise.all([issueCertificate(REQUEST, deps), issueCertificate(other, deps)]);
    expect(ca.orders).toHaveLength(2);
    expect(second.serial).not.toBe(first.serial);
  });

  test('issueCertificate() with a signal already aborted orders nothing', async () => {
    const { ca, deps } = setup();
    await expect(issueCertificate(REQUEST, deps, { signal: AbortSignal.abort(new Error('stopped')) })).rejects.toThrow(
      'stopped',
    );
    expect(ca.orders).toEqual([]);
  });
});

describe('renewCertificates() under the certificate lock', () => {
  test('a certificate another run renewed between the check and the lock is not ordered again', async () => {
    const { ca, store, locks, deps } = setup();
    await issueCertificate(REQUEST, deps);
    const other = await locks.acquire(LOCK);
    const pass = renewCertificates(deps, { nextCheckAt: NOW, force: true });
    // The pass has checked and waits for the lock; meanwhile the other holder stores a version.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const current = await store.loadCertificate(NAME);
    await store.saveCertificate({
      name: NAME,
      certPem: current!.certPem,
      chainPem: '',
      keyPem: current!.keyPem,
      meta: current!.meta,
    });
    await other.release();

    const [outcome] = await pass;

    expect(outcome).toMatchObject({ name: NAME, decision: { due: false, reason: 'not-yet' } });
    expect(outcome!.decision.detail).toMatch(/^another run stored version .+ meanwhile; nothing ordered$/);
    expect(ca.orders).toHaveLength(1);
  });

  test('with busyCertificates "skip", a certificate whose lock another node holds is skipped at once, with no order and no backoff', async () => {
    const { ca, locks, deps } = setup();
    await issueCertificate(REQUEST, deps);
    const other = await locks.acquire(LOCK);
    try {
      const started = Date.now();
      const [outcome] = await renewCertificates(deps, { nextCheckAt: NOW, force: true, busyCertificates: 'skip' });
      expect(Date.now() - started).toBeLessThan(deps.lockTimeoutMs ?? 60_000);
      expect(outcome).toMatchObject({ name: NAME, decision: { due: false, reason: 'not-yet' } });
      expect(outcome!.decision.detail).toBe('another node holds its lease and is renewing it; nothing ordered here');
      expect(outcome!.error).toBeUndefined();
      expect(ca.orders).toHaveLength(1);
      expect((await deps.renewalState.load(NAME)).value.failure).toBeUndefined();
    } finally {
      await other.release();
    }
  });

  test.each([
    ['no spread: the first name first', undefined, ['a.example.net', 'b.example.net', 'c.example.net']],
    ['a node id moves the start, keeping the order', 'node-3', ['b.example.net', 'c.example.net', 'a.example.net']],
    ['another node id starts elsewhere', 'node-2', ['c.example.net', 'a.example.net', 'b.example.net']],
  ])('spreadBy: %s', async (_what, spreadBy, expected) => {
    const { ca, deps } = setup();
    for (const name of ['a.example.net', 'b.example.net', 'c.example.net'])
      await issueCertificate({ name, domains: [name], keyType: 'ec256' }, { ...deps, acmeFor: () => ca.client() });
    const before = ca.orders.length;
    await renewCertificates(
      { ...deps, acmeFor: () => ca.client() },
      { nextCheckAt: NOW, force: true, concurrency: 1, ...(spreadBy === undefined ? {} : { spreadBy }) },
    );
    expect(ca.orders.slice(before).map((order) => order.domains[0])).toEqual(expected);
  });

  test('a renewal whose lease is lost records no failure backoff: the CA refused nothing', async () => {
    let lose = false;
    const { locks, deps, finalized } = setup({
      wrap: (client) => {
        const wait = client.waitForAuthorization.bind(client);
        client.waitForAuthorization = async (challenge, options) => {
          if (!lose) return wait(challenge, options);
          locks.takeOver(LOCK);
          throw await abortOf(options?.signal);
        };
        return client;
      },
    });
    await issueCertificate(REQUEST, deps);
    lose = true;

    const [outcome] = await renewCertificates(deps, { nextCheckAt: NOW, force: true });

    expect(outcome?.error).toMatch(/^Cannot keep the lock/);
    expect([finalized, (await deps.renewalState.load(NAME)).value.failure]).toEqual([
      ['https://ca.example.test/order/1'],
      undefined,
    ]);
  });

  test('an aborted pass stops: renewCertificates() rejects with the reason and orders nothing', async () => {
    const { ca, deps } = setup();
    await issueCertificate(REQUEST, deps);
    await expect(
      renewCertificates(deps, { nextCheckAt: NOW, force: true, signal: AbortSignal.abort(new Error('SIGINT')) }),
    ).rejects.toThrow('SIGINT');
    expect(ca.orders).toHaveLength(1);
  });
});
