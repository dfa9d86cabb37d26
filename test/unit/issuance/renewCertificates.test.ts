/**
 * A renewal pass finishes what an earlier run left undone without ordering again: a certificate
 * the CA issued that could not be stored (kept under issued/), and post-renew hooks that failed or
 * never ran. A real signing CA (./_issuingCa.ts) counts the orders.
 */
import { KeptCertificateError, StorageError } from '../../../src/errors';
import { issueCertificate, renewCertificates, type HookOutcome, type RenewalDeps } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
  type StoredCertificate,
  MemoryLocks,
} from '../../../src/storage';
import { IssuingCa } from './_issuingCa';

const NOW = new Date('2026-12-01T00:00:00Z');
const REQUEST = { name: 'example.net', domains: ['example.net', '192.0.2.10'], keyType: 'ec256' as const };

function setup() {
  const clock = { now: () => new Date(NOW.getTime()) };
  const ca = new IssuingCa({ now: clock.now });
  const store = new MemoryCertificateStore({ home: '/srv/acme', clock });
  const hookRuns: string[] = [];
  let hookResult: () => HookOutcome[] = () => [{ label: '10-reload', ok: true, exitCode: 0, timedOut: false }];
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
    renewalState: new MemoryRenewalStateStore(),
    deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
    runHooks: async (certificate: StoredCertificate) => {
      hookRuns.push(certificate.meta.serial);
      return hookResult();
    },
    random: () => 0.5,
  };
  /** Makes the next save fail as a full disk does. */
  const failNextSave = (): void => {
    const save = store.saveCertificate.bind(store);
    store.saveCertificate = async () => {
      store.saveCertificate = save;
      throw new StorageError('STORAGE_IO', 'Cannot write certificate "example.net": ENOSPC: no space left on device', {
        path: '/srv/acme/certificates',
      });
    };
  };
  const setHooks = (result: () => HookOutcome[]): void => {
    hookResult = result;
  };
  return { ca, store, deps, hookRuns, failNextSave, setHooks };
}

describe('renewCertificates() finishes what an earlier run left', () => {
  test('renewCertificates() stores, deploys and runs the hooks of a certificate kept for a name never stored, without an order', async () => {
    const { ca, store, deps, hookRuns, failNextSave } = setup();
    failNextSave();
    await expect(issueCertificate(REQUEST, deps)).rejects.toThrow(KeptCertificateError);

    const [outcome, ...others] = await renewCertificates(deps, { nextCheckAt: NOW });

    expect(others).toEqual([]);
    expect(outcome).toMatchObject({
      name: 'example.net',
      decision: { due: true, reason: 'kept' },
      renewed: { resumed: true },
      hooks: [{ ok: true }],
    });
    expect([ca.orders.length, (await store.loadCertificateMeta('example.net'))?.serial, hookRuns]).toEqual([
      1,
      outcome!.renewed!.serial,
      [outcome!.renewed!.serial],
    ]);
    expect(await deps.issued.listNames()).toEqual([]);
  });

  test('renewCertificates() finishes a kept renewal on the next pass although the stored certificate is not due and the failure backs off', async () => {
    const { ca, store, deps, failNextSave } = setup();
    await issueCertificate(REQUEST, deps);
    failNextSave();
    const [failed] = await renewCertificates(deps, { nextCheckAt: NOW, force: true });
    expect(failed?.error).toMatch(
      /^Cannot finish "example\.net" after the CA issued it: Cannot write certificate "example\.net": ENOSPC: no space left on device; the certificate and its key are kept in "\/srv\/acme\/issued\/example\.net\.json": /,
    );
    expect((await deps.renewalState.load('example.net')).value.failure?.failures).toBe(1);

    const [finished] = await renewCertificates(deps, { nextCheckAt: NOW });

    expect(finished).toMatchObject({ decision: { reason: 'kept' }, renewed: { resumed: true } });
    expect([ca.orders.length, (await store.loadCertificateMeta('example.net'))?.serial]).toEqual([
      2,
      finished!.renewed!.serial,
    ]);
    expect((await deps.renewalState.load('example.net')).value.failure).toBeUndefined();
  });

  test('renewCertificates() runs failed post-renew hooks again on the next pass until they succeed, without an order', async () => {
    const { ca, deps, hookRuns, setHooks } = setup();
    await issueCertificate(REQUEST, deps);
    setHooks(() => [
      {
        label: '10-reload',
        ok: false,
        exitCode: 3,
        timedOut: false,
        error: 'Deploy hook "10-reload" failed: it exited with status 3',
      },
    ]);
    const [renewed] = await renewCertificates(deps, { nextCheckAt: NOW, force: true });
    const serial = renewed!.renewed!.serial;
    expect([renewed!.hooks?.[0]?.ok, (await deps.renewalState.load('example.net')).value.hooksPending]).toEqual([
      false,
      serial,
    ]);

    const [again] = await renewCertificates(deps, { nextCheckAt: NOW });
    setHooks(() => [{ label: '10-reload', ok: true, exitCode: 0, timedOut: false }]);
    const [fixed] = await renewCertificates(deps, { nextCheckAt: NOW });
    const [quiet] = await renewCertificates(deps, { nextCheckAt: NOW });

    expect([again!.decision.due, again!.hooks?.[0]?.ok, fixed!.hooks?.[0]?.ok, quiet!.hooks]).toEqual([
      false,
      false,
      true,
      undefined,
    ]);
    expect(hookRuns).toEqual([serial, serial, serial]);
    expect([ca.orders.length, (await deps.renewalState.load('example.net')).value.hooksPending]).toEqual([
      2,
      undefined,
    ]);
  });

  test('renewCertificates() runs the hooks a pass owes after they threw, without an order', async () => {
    const { ca, deps, hookRuns, setHooks } = setup();
    await issueCertificate(REQUEST, deps);
    setHooks(() => {
      throw new Error('Cannot list "/srv/acme/hooks/post-renew.d": EIO: i/o error');
    });
    const [renewed] = await renewCertificates(deps, { nextCheckAt: NOW, force: true });
    expect(renewed?.error).toBe('Cannot list "/srv/acme/hooks/post-renew.d": EIO: i/o error');
    setHooks(() => [{ label: '10-reload', ok: true, exitCode: 0, timedOut: false }]);

    const [owed] = await renewCertificates(deps, { nextCheckAt: NOW });

    expect(owed).toMatchObject({ decision: { due: false }, hooks: [{ ok: true }] });
    expect([ca.orders.length, hookRuns.length]).toEqual([2, 2]);
  });
});
