/**
 * A renewal pass over many stored certificates, none due: it checks at most CERTIFICATES_IN_FLIGHT
 * of them at once (what each holds while in flight ends up in the old generation), and it lets
 * timers and sockets run while it checks, although the file store answers its reads at once (a
 * responder answering the CA for a due certificate shares the process).
 */
import { renewCertificates, type RenewalDeps } from '../../../src/issuance';
import { CERTIFICATES_IN_FLIGHT } from '../../../src/issuance/_limit';
import { silentLogger } from '../../../src/log';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
  MemoryRenewalStateStore,
  YIELD_EVERY_MS,
} from '../../../src/storage';
import { createLocalCa, storeLocalCertificates } from '../../bench/_localCerts';

const NOW = new Date('2026-12-01T00:00:00Z');
const COUNT = 120;

/** A pass's dependencies over COUNT stored certificates, one day into their 90 days; `load` wraps the renewal state's reads. */
async function setup(
  load: (read: () => ReturnType<MemoryRenewalStateStore['load']>) => ReturnType<MemoryRenewalStateStore['load']>,
): Promise<RenewalDeps> {
  const clock = { now: () => new Date(NOW.getTime()) };
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock });
  const names = Array.from({ length: COUNT }, (_, i) => `site-${String(i).padStart(3, '0')}.example.test`);
  await storeLocalCertificates(store, await createLocalCa(NOW), names, {
    now: NOW,
    ageDays: 1,
    lifetimeDays: 90,
    directoryUrl: 'https://ca.example.test/dir',
    parallel: 8,
  });
  const states = new MemoryRenewalStateStore();
  const renewalState = Object.assign(Object.create(states) as MemoryRenewalStateStore, {
    load: (name: string) => load(() => states.load(name)),
  });
  const refuse = (): never => {
    throw new Error('Cannot renew here: nothing is due');
  };
  return {
    directoryUrl: 'https://ca.example.test/dir',
    store,
    bundles: new MemoryLocalBundles({ store }),
    locks: new MemoryLocks(),
    issued: new MemoryIssuedCertificateStore('/srv/acme'),
    acmeFor: refuse,
    responder: { acquire: refuse, present: refuse, cleanup: refuse },
    clock,
    logger: silentLogger,
    renewalState,
    deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
    random: () => 0.5,
  };
}

describe('renewCertificates() over many certificates', () => {
  test('checks at most CERTIFICATES_IN_FLIGHT (16) certificates at once, and every one of them', async () => {
    let running = 0;
    let most = 0;
    const deps = await setup(async (read) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return read();
    });
    const outcomes = await renewCertificates(deps, { nextCheckAt: NOW });
    expect({
      checked: outcomes.length,
      due: outcomes.filter((o) => o.decision.due).length,
      most,
      limit: CERTIFICATES_IN_FLIGHT,
    }).toEqual({ checked: COUNT, due: 0, most: 16, limit: 16 });
  });

  test('lets a timer run while it checks certificates whose reads finish at once', async () => {
    const busyMs = 1;
    let checked = 0;
    let checkedWhenTimerRan: number | undefined;
    const deps = await setup((read) => {
      const until = performance.now() + busyMs;
      while (performance.now() < until) {
        // Stands for the file store's synchronous reads.
      }
      checked += 1;
      return read();
    });
    setTimeout(() => (checkedWhenTimerRan = checked), 0);
    const outcomes = await renewCertificates(deps, { nextCheckAt: NOW });
    expect(outcomes).toHaveLength(COUNT);
    expect(checkedWhenTimerRan).toBeDefined();
    // Within about the first YIELD_EVERY_MS of checks, not after all COUNT of them.
    expect(checkedWhenTimerRan!).toBeLessThanOrEqual(Math.ceil((YIELD_EVERY_MS * 3) / busyMs));
  });
});
