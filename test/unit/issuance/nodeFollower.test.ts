/**
 * NodeFollower keeps a node serving what the shared store holds: a resync (start, reconnect, poll)
 * compares every certificate, a change only its own, failures are retried, and it stops on abort.
 * The feed here is a scripted ChangeFeed: the real one (PostgreSQL LISTEN) has its own tests.
 */
import { CapturingLogger } from '../../../src/log';
import { NodeFollower, type SyncOutcome } from '../../../src/issuance';
import type { ChangeFeed, ChangeFeedHandlers } from '../../../src/storage';

/** A ChangeFeed the test drives: `handlers` once follow() was called. */
class ScriptedFeed implements ChangeFeed {
  handlers: ChangeFeedHandlers | undefined;
  async follow(handlers: ChangeFeedHandlers, options: { signal: AbortSignal }): Promise<void> {
    this.handlers = handlers;
    handlers.onResync('connected');
    await new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

function setup(options: { pollIntervalMs?: number; failFirst?: number; names?: string[]; syncMs?: number } = {}) {
  const feed = new ScriptedFeed();
  const batches: string[][] = [];
  let failures = options.failFirst ?? 0;
  const controller = new AbortController();
  const follower = new NodeFollower({
    feed,
    pollIntervalMs: options.pollIntervalMs ?? 3_600_000,
    listNames: async () => options.names ?? ['a.test', 'b.test'],
    sync: async (names): Promise<SyncOutcome[]> => {
      batches.push(names);
      if (options.syncMs !== undefined) await sleep(options.syncMs);
      if (failures > 0) {
        failures -= 1;
        throw new Error('the home lock is busy');
      }
      return names.map((name) => ({ name, outcome: 'current' }));
    },
    logger: new CapturingLogger(),
  });
  const running = follower.run(controller.signal);
  return { feed, batches, follower, running, stop: () => controller.abort() };
}

describe('NodeFollower', () => {
  test('the first connect of the feed syncs every stored certificate', async () => {
    const { batches, running, stop } = setup();
    await until(() => batches.length >= 1);
    expect(batches[0]).toEqual(['a.test', 'b.test']);
    stop();
    await running;
  });

  test('a change syncs only the certificate it names', async () => {
    const { feed, batches, running, stop } = setup();
    await until(() => batches.length >= 1);
    feed.handlers?.onChange({ name: 'b.test', version: 'v2' });
    await until(() => batches.length >= 2);
    expect(batches[1]).toEqual(['b.test']);
    stop();
    await running;
  });

  test('a reconnect syncs everything again, since notifications sent meanwhile are lost', async () => {
    const { feed, batches, running, stop } = setup();
    await until(() => batches.length >= 1);
    feed.handlers?.onResync('reconnected');
    await until(() => batches.length >= 2);
    expect(batches[1]).toEqual(['a.test', 'b.test']);
    stop();
    await running;
  });

  test('a failed sync is retried until it succeeds', async () => {
    const { batches, running, stop } = setup({ failFirst: 1 });
    await until(() => batches.length >= 2, 5_000);
    expect(batches[1]).toEqual(['a.test', 'b.test']);
    stop();
    await running;
  });

  test('the poll syncs everything without any notification', async () => {
    const { batches, running, stop } = setup({ pollIntervalMs: 50 });
    await until(() => batches.length >= 3);
    expect(batches.slice(0, 3)).toEqual([
      ['a.test', 'b.test'],
      ['a.test', 'b.test'],
      ['a.test', 'b.test'],
    ]);
    stop();
    await running;
  });

  test('run() resolves once the signal aborts, also while idle', async () => {
    const { batches, running, stop } = setup();
    await until(() => batches.length >= 1);
    stop();
    await expect(running).resolves.toBeUndefined();
  });

  test('the first connect compares every certificate once, in chunks of 20', async () => {
    const names = Array.from({ length: 45 }, (_, i) => `n${String(i).padStart(2, '0')}.test`);
    const { batches, running, stop } = setup({ names });
    await until(() => batches.length >= 3);
    await sleep(50);
    expect(batches.map((batch) => batch.length)).toEqual([20, 20, 5]);
    expect(batches.flat()).toEqual(names);
    stop();
    await running;
  });

  test('a change announced during a full comparison is synced before the rest of it', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `n${String(i).padStart(2, '0')}.test`);
    const { feed, batches, running, stop } = setup({ names, syncMs: 30 });
    await until(() => batches.length >= 1);
    feed.handlers?.onChange({ name: 'urgent.test', version: 'v2' });
    await until(() => batches.length >= 4);
    expect(batches[1]).toEqual(['urgent.test']);
    stop();
    await running;
  });
});
