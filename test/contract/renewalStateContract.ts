/**
 * The RenewalStateStore contract as a reusable suite: every backend's test file calls
 * renewalStateStoreContract() with a factory for a fresh, empty store.
 */
import { StorageError } from '../../src/errors';
import type { RenewalState, RenewalStateStore } from '../../src/storage';

/** A fresh, empty store, and how to drop it. */
export interface RenewalStateFixture {
  store: RenewalStateStore;
  cleanup(): Promise<void>;
}

const FAILED: RenewalState = {
  failure: {
    failures: 2,
    lastFailureAt: '2026-11-27T00:00:00.000Z',
    lastError: 'Cannot finalize the order: the CA said "rejected"',
    nextAttemptAt: '2026-11-27T01:00:00.000Z',
  },
  failuresTotal: 5,
};

/** Registers the contract tests for one RenewalStateStore backend. */
export function renewalStateStoreContract(name: string, make: () => Promise<RenewalStateFixture>): void {
  describe(`${name} (RenewalStateStore contract)`, () => {
    let fixture: RenewalStateFixture;
    let store: RenewalStateStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    test('load() of a name never saved returns an empty state at revision 0', async () => {
      await expect(store.load('never.example')).resolves.toEqual({ value: {}, revision: 0 });
    });

    test('save() with the revision load() returned stores the state and returns a greater revision', async () => {
      const { revision } = await store.load('a.example');
      const next = await store.save('a.example', FAILED, { expectedRevision: revision });
      expect(next).toBeGreaterThan(revision);
      await expect(store.load('a.example')).resolves.toEqual({ value: FAILED, revision: next });
    });

    test('every save() moves the revision forward, and the last value wins', async () => {
      const first = await store.save('a.example', FAILED, { expectedRevision: 0 });
      const second = await store.save(
        'a.example',
        { lastSuccessAt: '2026-12-01T00:00:00.000Z' },
        { expectedRevision: first },
      );
      expect([second > first, await store.load('a.example')]).toEqual([
        true,
        { value: { lastSuccessAt: '2026-12-01T00:00:00.000Z' }, revision: second },
      ]);
    });

    test.each([
      ['an older revision', 0],
      ['a revision from the future', 7],
    ])('save() with %s throws STORAGE_CONFLICT and writes nothing', async (_label, expectedRevision) => {
      const revision = await store.save('a.example', FAILED, { expectedRevision: 0 });
      const saved = store.save('a.example', {}, { expectedRevision });
      await expect(saved).rejects.toThrow(StorageError);
      await expect(saved).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
      await expect(store.load('a.example')).resolves.toEqual({ value: FAILED, revision });
    });

    test('save() expecting a stored state where there is none throws STORAGE_CONFLICT', async () => {
      await expect(store.save('new.example', FAILED, { expectedRevision: 1 })).rejects.toMatchObject({
        code: 'STORAGE_CONFLICT',
      });
      await expect(store.load('new.example')).resolves.toEqual({ value: {}, revision: 0 });
    });

    test('of two saves from the same revision at once, exactly one wins', async () => {
      const results = await Promise.allSettled([
        store.save('race.example', { failuresTotal: 1 }, { expectedRevision: 0 }),
        store.save('race.example', { failuresTotal: 2 }, { expectedRevision: 0 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect([won.length, lost.map((r) => (r.reason as StorageError).code)]).toEqual([1, ['STORAGE_CONFLICT']]);
      const { value } = await store.load('race.example');
      expect(value).toEqual(results[0]!.status === 'fulfilled' ? { failuresTotal: 1 } : { failuresTotal: 2 });
    });

    test('save() with an aborted signal rejects with its reason and writes nothing', async () => {
      const controller = new AbortController();
      const reason = new Error('stopped');
      controller.abort(reason);
      await expect(store.save('a.example', FAILED, { expectedRevision: 0, signal: controller.signal })).rejects.toBe(
        reason,
      );
      await expect(store.load('a.example')).resolves.toEqual({ value: {}, revision: 0 });
    });

    test('names are independent, and a loaded value is a copy', async () => {
      await store.save('one.example', FAILED, { expectedRevision: 0 });
      const loaded = await store.load('one.example');
      loaded.value.failuresTotal = 99;
      expect([await store.load('one.example'), await store.load('two.example')]).toEqual([
        { value: FAILED, revision: loaded.revision },
        { value: {}, revision: 0 },
      ]);
    });

    test('save() rejects an expected revision that is not a whole number ≥ 0', async () => {
      await expect(store.save('a.example', {}, { expectedRevision: -1 })).rejects.toMatchObject({
        code: 'STORAGE_CONFLICT',
      });
      await expect(store.save('a.example', {}, { expectedRevision: 0.5 })).rejects.toMatchObject({
        code: 'STORAGE_CONFLICT',
      });
    });
  });
}
