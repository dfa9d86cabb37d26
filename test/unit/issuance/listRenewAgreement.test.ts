/**
 * `acme list` shows, as a certificate's next renewal, the decision `acme renew` makes: both read the
 * renewal state through one policyFacts(), so a revocation, a failure backoff or the lifetime rule
 * cannot make them disagree. Each case runs list, then a real renewal pass against a signing CA, on
 * the same stores and the same instant.
 */
import { issueCertificate, listCertificates, renewCertificates, type RenewalDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  type RenewalState,
  MemoryLocks,
} from '../../../src/storage';
import { IssuingCa } from './_issuingCa';

const ISSUED_AT = new Date('2026-12-01T00:00:00Z');
const DAY_MS = 86_400_000;
const REQUEST = { name: 'example.net', domains: ['example.net'], keyType: 'ec256' as const };

interface Case {
  /** Days after issuance (90-day certificates: the lifetime rule is due from day 60). */
  readonly day: number;
  /** The renewal state as an earlier run left it; `SERIAL` stands for the stored certificate's serial. */
  readonly state: (serial: string) => RenewalState;
  readonly due: boolean;
  readonly reason: string;
}

const FAILED_AT = (day: number): string => new Date(ISSUED_AT.getTime() + day * DAY_MS - 60_000).toISOString();

const CASES: Record<string, Case> = {
  'fresh: nothing known': { day: 1, state: () => ({}), due: false, reason: 'not-yet' },
  'revoked this certificate': {
    day: 1,
    state: (serial) => ({ revocation: { serial, revokedAt: ISSUED_AT.toISOString(), reason: 'keyCompromise' } }),
    due: true,
    reason: 'emergency',
  },
  'revoked an earlier certificate': {
    day: 1,
    state: () => ({ revocation: { serial: '01', revokedAt: ISSUED_AT.toISOString() } }),
    due: false,
    reason: 'not-yet',
  },
  'past two thirds of its lifetime': { day: 61, state: () => ({}), due: true, reason: 'lifetime' },
  'due, but a failure a minute ago backs off': {
    day: 61,
    state: () => ({
      failure: {
        failures: 3,
        lastFailureAt: FAILED_AT(61),
        lastError: 'Cannot reach the CA',
        nextAttemptAt: new Date(ISSUED_AT.getTime() + 62 * DAY_MS).toISOString(),
      },
    }),
    due: false,
    reason: 'backoff',
  },
  'revoked although a failure backs off': {
    day: 1,
    state: (serial) => ({
      revocation: { serial, revokedAt: ISSUED_AT.toISOString() },
      failure: {
        failures: 1,
        lastFailureAt: FAILED_AT(1),
        lastError: 'Cannot reach the CA',
        nextAttemptAt: new Date(ISSUED_AT.getTime() + 2 * DAY_MS).toISOString(),
      },
    }),
    due: true,
    reason: 'emergency',
  },
};

async function decisions(
  testCase: Case,
): Promise<{ list: { due: boolean; reason: string }; renew: { due: boolean; reason: string } }> {
  let now = ISSUED_AT;
  const clock = { now: () => new Date(now.getTime()) };
  const ca = new IssuingCa({ now: clock.now });
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock });
  const renewalState = new MemoryRenewalStateStore();
  const deps: RenewalDeps = {
    directoryUrl: 'https://ca.example.test/dir',
    store,
    bundles: new MemoryLocalBundles({ store }),
    locks: new MemoryLocks(),
    issued: new MemoryIssuedCertificateStore('/srv/acme'),
    acmeFor: () => ca.client(),
    responder: {
      acquire: async () => async () => undefined,
      present: async () => undefined,
      cleanup: async () => undefined,
    },
    clock,
    logger: new CapturingLogger(),
    renewalState,
    deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
    runHooks: async () => [],
    random: () => 0.5,
  };
  await issueCertificate(REQUEST, deps);
  const serial = (await store.loadCertificateMeta(REQUEST.name))!.serial;
  renewalState.states.set(REQUEST.name, testCase.state(serial));
  now = new Date(ISSUED_AT.getTime() + testCase.day * DAY_MS);
  const [listed] = await listCertificates({ store, bundles: new MemoryLocalBundles({ store }), clock, renewalState });
  const [renewed] = await renewCertificates(deps, { nextCheckAt: now });
  // list names a not-due schedule by what sets its date; renew's not-due reason is the policy's own.
  const listReason = listed!.nextRenewal.due
    ? listed!.nextRenewal.reason
    : listed!.nextRenewal.reason === 'backoff'
      ? 'backoff'
      : 'not-yet';
  return {
    list: { due: listed!.nextRenewal.due, reason: listReason },
    renew: { due: renewed!.decision.due, reason: renewed!.decision.reason },
  };
}

describe('acme list and acme renew agree', () => {
  test.each(Object.entries(CASES))('on a certificate %s', async (_name, testCase) => {
    const { list, renew } = await decisions(testCase);
    expect(renew).toEqual({ due: testCase.due, reason: testCase.reason });
    expect(list).toEqual(renew);
  });
});
