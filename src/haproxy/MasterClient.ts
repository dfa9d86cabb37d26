import { setTimeout as sleep } from 'node:timers/promises';

import { HaproxyError } from '../errors';
import type { Logger } from '../log';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
import { parseReloadReply, parseShowProc, type ShowProc } from './_parse';
import { replyError, replyExcerpt } from './_reply';
import { sendRequest } from './_socket';
import type { CommandOptions } from './RuntimeClient';

/** Options of `MasterClient`. */
export interface MasterClientOptions {
  /** The master CLI socket (`haproxy -W -S <socket>`). */
  endpoint: RuntimeEndpoint;
  /** Limit for one command. Default: 30000 (a 2.7+ reload answers once the new worker is up). */
  timeoutMs?: number;
  /** 2.6: how often `show proc` is polled after `reload`. Default: 100. */
  pollIntervalMs?: number;
  /** 2.6: how many polls before giving up. Default: 50 (5 s with the default interval). */
  pollAttempts?: number;
  logger: Logger;
}

/** How a reload ended. */
export interface ReloadResult {
  /** `sync`: the 2.7+ `Success=1` reply; `show proc`: 2.6, the master's reload counters. */
  detectedBy: 'sync' | 'show proc';
  /** The master's reload counter afterwards (`show proc` only). */
  reloads?: number;
}

/**
 * Client of the master CLI (HAProxy management guide, "Master CLI"). It does not know
 * `set severity-output`, so commands are sent bare.
 */
export class MasterClient {
  /** `formatRuntimeEndpoint()` of the socket. */
  readonly where: string;
  private readonly logger: Logger;

  constructor(readonly options: MasterClientOptions) {
    this.where = formatRuntimeEndpoint(options.endpoint);
    this.logger = options.logger.child({ haproxyMasterSocket: this.where });
  }

  /**
   * Sends one command to the master and resolves with the raw reply; `signal` cuts it off.
   * @throws HaproxyError (retryable) when the socket cannot be reached or the timeout expires; `signal.reason` when aborted
   */
  async execute(command: string, options: CommandOptions = {}): Promise<string> {
    this.logger.debug('HAProxy master command', { command });
    const { signal } = options;
    return sendRequest(this.options.endpoint, `${command}\n`, {
      timeoutMs: this.options.timeoutMs ?? 30_000,
      command,
      signal,
    });
  }

  /**
   * `show proc`: the master's pid, reload and failed-reload counters, and the workers.
   * @throws HaproxyError when the reply has no master line
   */
  async showProc(options: CommandOptions = {}): Promise<ShowProc> {
    const reply = await this.execute('show proc', options);
    const proc = parseShowProc(reply);
    if (proc === undefined)
      throw replyError('show proc', reply, {
        endpoint: this.where,
        detail: `HAProxy replied "${replyExcerpt(reply)}" without a master line; is this the master socket (-S)?`,
      });
    return proc;
  }

  /**
   * Reloads HAProxy and proves the outcome. 2.7+ answers `Success=1|0` synchronously. 2.6
   * answers nothing and reloads asynchronously (= `kill -USR2`), so poll `show proc` until the
   * master's reload counter grows; the reload failed when `[failed: N]` is not 0 (a good reload
   * resets it). A failed reload keeps the old workers serving.
   * `signal` stops the wait (a reload already sent goes on in HAProxy).
   * @throws HaproxyError when the reload failed, or no new reload shows up in time (retryable); `signal.reason` when aborted
   */
  async reload(options: CommandOptions = {}): Promise<ReloadResult> {
    const before = await this.showProcWhenBack(options);
    const reply = await this.execute('reload', options);
    const sync = parseReloadReply(reply);
    if (sync !== undefined) {
      if (!sync.success) {
        throw new HaproxyError(
          `Cannot reload HAProxy through "${this.where}": the new configuration was rejected (HAProxy replied "Success=0": ${replyExcerpt(sync.log)}); ` +
            'the old workers keep serving; check it with "haproxy -c -f <config>"',
          { command: 'reload', endpoint: this.where, reply },
        );
      }
      return { detectedBy: 'sync' };
    }
    const after = await this.waitForReload(before.master.reloads, options);
    if ((after.master.failed ?? 0) > 0) {
      throw new HaproxyError(
        `Cannot reload HAProxy through "${this.where}": the new configuration was rejected (show proc: [failed: ${after.master.failed}]); ` +
          'the old workers keep serving; check it with "haproxy -c -f <config>"',
        { command: 'reload', endpoint: this.where, reply },
      );
    }
    this.logger.info('HAProxy reloaded', { reloads: after.master.reloads });
    return { detectedBy: 'show proc', reloads: after.master.reloads };
  }

  /**
   * `show proc`, tried again while the master cannot be reached: right after an earlier reload
   * it re-executes and binds its socket anew (seen on 2.6 as ENOENT for a moment). Bounded by
   * pollAttempts × pollIntervalMs. @throws the last HaproxyError when it never answers
   */
  private async showProcWhenBack(options: CommandOptions): Promise<ShowProc> {
    const attempts = this.options.pollAttempts ?? 50;
    const intervalMs = this.options.pollIntervalMs ?? 100;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.showProc(options);
      } catch (error) {
        if (!(error instanceof HaproxyError) || !error.retryable || attempt >= attempts) throw error;
        await sleep(intervalMs);
        options.signal?.throwIfAborted();
      }
    }
  }

  /** Polls `show proc` until the reload counter exceeds `reloadsBefore` (the master re-executes, so refusals count as "not yet"). */
  private async waitForReload(reloadsBefore: number, options: CommandOptions): Promise<ShowProc> {
    const attempts = this.options.pollAttempts ?? 50;
    const intervalMs = this.options.pollIntervalMs ?? 100;
    let last = 'no reply';
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      await sleep(intervalMs);
      options.signal?.throwIfAborted();
      try {
        const proc = await this.showProc(options);
        if (proc.master.reloads > reloadsBefore) return proc;
        last = `reloads still ${proc.master.reloads}`;
      } catch (error) {
        if (!(error instanceof HaproxyError)) throw error;
        last = error.message;
      }
    }
    throw new HaproxyError(
      `Cannot confirm the HAProxy reload through "${this.where}": show proc did not count a new reload within ${attempts * intervalMs} ms (${last})`,
      { command: 'show proc', endpoint: this.where, retryable: true },
    );
  }
}
