/**
 * The DeployStateStore contract as a reusable suite: every backend's test file calls
 * deployStateStoreContract() with a factory for a fresh, empty store.
 */
import { ConfigError } from '../../src/errors';
import type { DeployState, DeployStateStore } from '../../src/storage';

/** A fresh, empty store, and how to drop it. */
export interface DeployStateFixture {
  store: DeployStateStore;
  cleanup(): Promise<void>;
}

const DEPLOYED: DeployState = {
  endpoints: {
    'unix@/run/haproxy/admin.sock': {
      status: 'deployed',
      serial: 'AB01',
      method: 'swap',
      at: '2026-11-27T00:00:00.000Z',
    },
  },
};
const PENDING: DeployState = {
  endpoints: {
    'unix@/run/haproxy/admin.sock': {
      status: 'pending',
      serial: 'AB02',
      at: '2026-11-28T00:00:00.000Z',
      lastError: 'connect ECONNREFUSED',
    },
  },
};

/** Registers the contract tests for one DeployStateStore backend. */
export function deployStateStoreContract(name: string, make: () => Promise<DeployStateFixture>): void {
  describe(`${name} (DeployStateStore contract)`, () => {
    let fixture: DeployStateFixture;
    let store: DeployStateStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    test('load() of a name never saved returns no endpoints, and loadAllNodes() no node', async () => {
      await expect(Promise.all([store.load('a.example', 'node-1'), store.loadAllNodes('a.example')])).resolves.toEqual([
        { endpoints: {} },
        {},
      ]);
    });

    test('save() then load() of the same node round-trips', async () => {
      await store.save('a.example', 'node-1', DEPLOYED);
      await expect(store.load('a.example', 'node-1')).resolves.toEqual(DEPLOYED);
    });

    test.each(['constructor', 'tostring', 'valueof'])(
      'a node named %s (an Object.prototype member) is a node like any other',
      async (node) => {
        await store.save('a.example', 'node-1', DEPLOYED);
        await expect(store.load('a.example', node)).resolves.toEqual({ endpoints: {} });
        await store.save('a.example', node, DEPLOYED);
        await expect(store.load('a.example', node)).resolves.toEqual(DEPLOYED);
      },
    );

    test('the same endpoint label on two nodes keeps two states', async () => {
      await store.save('a.example', 'node-1', DEPLOYED);
      await store.save('a.example', 'node-2', PENDING);
      await expect(
        Promise.all([
          store.load('a.example', 'node-1'),
          store.load('a.example', 'node-2'),
          store.loadAllNodes('a.example'),
        ]),
      ).resolves.toEqual([DEPLOYED, PENDING, { 'node-1': DEPLOYED, 'node-2': PENDING }]);
    });

    test("save() replaces only that node's state", async () => {
      await store.save('a.example', 'node-1', DEPLOYED);
      await store.save('a.example', 'node-2', DEPLOYED);
      await store.save('a.example', 'node-2', PENDING);
      await expect(store.loadAllNodes('a.example')).resolves.toEqual({ 'node-1': DEPLOYED, 'node-2': PENDING });
    });

    test('saves of two nodes at once both land', async () => {
      await Promise.all([
        store.save('a.example', 'node-1', DEPLOYED),
        store.save('a.example', 'node-2', PENDING),
        store.save('a.example', 'node-3', DEPLOYED),
      ]);
      await expect(store.loadAllNodes('a.example')).resolves.toEqual({
        'node-1': DEPLOYED,
        'node-2': PENDING,
        'node-3': DEPLOYED,
      });
    });

    test('names are independent, and a loaded state is a copy', async () => {
      await store.save('a.example', 'node-1', DEPLOYED);
      const loaded = await store.load('a.example', 'node-1');
      loaded.endpoints['unix@/other.sock'] = PENDING.endpoints['unix@/run/haproxy/admin.sock']!;
      await expect(
        Promise.all([store.load('a.example', 'node-1'), store.load('b.example', 'node-1')]),
      ).resolves.toEqual([DEPLOYED, { endpoints: {} }]);
    });

    test('save() with an aborted signal rejects with its reason and writes nothing', async () => {
      const controller = new AbortController();
      const reason = new Error('stopped');
      controller.abort(reason);
      await expect(store.save('a.example', 'node-1', DEPLOYED, { signal: controller.signal })).rejects.toBe(reason);
      await expect(store.loadAllNodes('a.example')).resolves.toEqual({});
    });

    test.each([
      ['empty', ''],
      ['upper-case', 'Node-1'],
      ['a path', '../node'],
      ['an object key of JavaScript', '__proto__'],
      ['65 characters', 'n'.repeat(65)],
      ['starting with a dash', '-node'],
    ])('a node id that is %s is refused with ConfigError, nothing written', async (_label, node) => {
      await expect(store.save('a.example', node, DEPLOYED)).rejects.toThrow(ConfigError);
      await expect(store.load('a.example', node)).rejects.toThrow(ConfigError);
      await expect(store.loadAllNodes('a.example')).resolves.toEqual({});
    });
  });
}
