import { rename } from 'node:fs/promises';
import { HaproxyError } from '../../../src/errors';
import { MasterClient } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';
import { transcript } from '../../fixtures/haproxy';
import { startFakeSocket, type FakeSocket } from './_fakeSocket';

let fake: FakeSocket | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A master socket whose `show proc` replies come from `procs` in turn (the last one repeats). */
async function masterWith(procs: string[], reloadReply = '') {
  let next = 0;
  fake = await startFakeSocket((request) => {
    if (request === 'reload\n') return reloadReply;
    if (request === 'show proc\n') return procs[Math.min(next++, procs.length - 1)];
    return 'Unknown command\n';
  });
  return new MasterClient({
    endpoint: { kind: 'unix', path: fake.socketPath },
    logger: new CapturingLogger(),
    pollIntervalMs: 5,
    pollAttempts: 10,
  });
}

describe('MasterClient', () => {
  test('reload() on 2.6 waits for the reload counter and sees no failure', async () => {
    const master = await masterWith(
      [transcript('show-proc'), transcript('show-proc'), transcript('show-proc-after-reload')],
      transcript('master-reload'),
    );
    await expect(master.reload()).resolves.toEqual({ detectedBy: 'show proc', reloads: 1 });
    expect(fake?.requests).toEqual(['show proc\n', 'reload\n', 'show proc\n', 'show proc\n']);
  });

  test('reload() right after a reload waits for the master socket to come back (the master re-executes)', async () => {
    const master = await masterWith(
      [transcript('show-proc'), transcript('show-proc-after-reload')],
      transcript('master-reload'),
    );
    const path = fake!.socketPath;
    // The socket file is gone for a moment, as while the master re-executes after a reload.
    await rename(path, `${path}.away`);
    setTimeout(() => void rename(`${path}.away`, path), 20);
    await expect(master.reload()).resolves.toEqual({ detectedBy: 'show proc', reloads: 1 });
  });

  test('reload() on 2.6 reports a failed reload from [failed: N]', async () => {
    const master = await masterWith([
      transcript('show-proc-after-reload'),
      transcript('show-proc-after-failed-reload'),
    ]);
    await expect(master.reload()).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        retryable: false,
        message: `Cannot reload HAProxy through "${master.where}": the new configuration was rejected (show proc: [failed: 1]); the old workers keep serving; check it with "haproxy -c -f <config>"`,
      }),
    );
  });

  test('reload() gives up when no reload shows up (retryable)', async () => {
    const master = await masterWith([transcript('show-proc')]);
    await expect(master.reload()).rejects.toThrow(
      expect.objectContaining({
        retryable: true,
        message: `Cannot confirm the HAProxy reload through "${master.where}": show proc did not count a new reload within 50 ms (reloads still 0)`,
      }),
    );
  });

  test('reload() on 2.7+ trusts the synchronous "Success=1" reply', async () => {
    const master = await masterWith([transcript('show-proc')], 'Success=1\n--\n[NOTICE] ok\n');
    await expect(master.reload()).resolves.toEqual({ detectedBy: 'sync' });
    expect(fake?.requests).toEqual(['show proc\n', 'reload\n']);
  });

  test('reload() on 2.7+ reports a "Success=0" reply with its log, naming the master socket as 2.6\'s "show proc" detection does', async () => {
    const master = await masterWith([transcript('show-proc')], 'Success=0\n--\n[ALERT] bad keyword\n');
    await expect(master.reload()).rejects.toThrow(
      expect.objectContaining({
        retryable: false,
        message: `Cannot reload HAProxy through "${master.where}": the new configuration was rejected (HAProxy replied "Success=0": [ALERT] bad keyword); the old workers keep serving; check it with "haproxy -c -f <config>"`,
      }),
    );
  });

  test('showProc() says when the socket is not a master socket', async () => {
    const master = await masterWith([transcript('unknown-command')]);
    await expect(master.showProc()).rejects.toThrow(
      /^Cannot run "show proc": HAProxy replied "Unknown command, but maybe one of the following ones is a better match: abort ssl ca-file <cafile> : abort a .{150,}…" without a master line; is this the master socket \(-S\)\?$/,
    );
  });
});
