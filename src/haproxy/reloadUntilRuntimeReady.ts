import { setTimeout as sleep } from 'node:timers/promises';
import { HaproxyError, messageOf } from '../errors';
import type { MasterClient } from './MasterClient';
import type { RuntimeClient } from './RuntimeClient';

/** Options of reloadUntilRuntimeReady(). */
export interface RuntimeReadyOptions {
  /** Reads of the runtime socket before giving up. Default: 40. */
  attempts?: number;
  /** Pause between them. Default: 250 ms (40 × 250 ms = 10 s). */
  intervalMs?: number;
}

/**
 * A checked reload (MasterClient.reload()), then waits until the runtime socket is answered by the new
 * worker: right after a reload, a connection to it may still reach the stopping worker, which closes it
 * without a reply or answers with the old configuration, so a certificate added then would be lost.
 * The new worker is the one `show proc` lists with no reload survived; `show info`'s Pid names who answered.
 * @throws HaproxyError when the reload fails, or the new worker does not answer in time (retryable)
 */
export async function reloadUntilRuntimeReady(
  master: MasterClient,
  runtime: RuntimeClient,
  options: RuntimeReadyOptions = {},
): Promise<void> {
  await master.reload();
  const worker = (await master.showProc()).workers.find((w) => w.reloads === 0)?.pid;
  const attempts = options.attempts ?? 40;
  const intervalMs = options.intervalMs ?? 250;
  let last = 'no reply';
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      const pid = (await runtime.showInfo()).fields.Pid;
      if (worker === undefined || pid === String(worker)) return;
      last = `answered by pid ${pid ?? 'unknown'}, not the new worker ${worker}`;
    } catch (error) {
      if (!(error instanceof HaproxyError)) throw error;
      last = messageOf(error);
    }
    await sleep(intervalMs);
  }
  throw new HaproxyError(
    `HAProxy reloaded, but its runtime socket "${runtime.where}" was not answered by the new worker within ${attempts * intervalMs} ms (${last})`,
    { command: 'show info', endpoint: runtime.where, retryable: true },
  );
}
