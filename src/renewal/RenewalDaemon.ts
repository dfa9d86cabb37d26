import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError, messageOf } from '../errors';
import type { Logger } from '../log';
import type { Clock } from '../clock';

/** Default schedule: hourly, at a minute that is not :00 (everyone else's), in UTC. */
export const DEFAULT_SCHEDULE = '17 * * * *';
/** Default jitter before each scheduled run, so a fleet does not hit the CA at once. */
export const DEFAULT_MAX_RANDOM_DELAY_MS = 15 * 60_000;
/** How long stop() waits for a renewal pass in flight before giving up on it. */
export const DEFAULT_STOP_TIMEOUT_MS = 120_000;

/** Options of RenewalDaemon. */
export interface RenewalDaemonOptions {
  /** Cron expression, evaluated in UTC. Default: DEFAULT_SCHEDULE (hourly). */
  schedule?: string;
  /** Uniform random delay before each scheduled run, ms. Default: 15 minutes. */
  maxRandomDelayMs?: number;
  /**
   * One renewal pass. It receives when the next scheduled check will happen, so "due before the
   * next check" can be decided. It SHOULD NOT throw; if it does, the error is logged and the
   * daemon carries on: one failed pass never stops renewals.
   */
  tick: (nextCheckAt: Date) => Promise<void>;
  logger: Logger;
  clock: Clock;
}

/** Validates a cron expression for --schedule. @throws ConfigError naming the flag */
export function checkSchedule(expression: string): string {
  if (!cron.validate(expression)) {
    throw new ConfigError(
      `Invalid --schedule "${expression}": expected a cron expression such as "17 * * * *" (minute hour day month weekday, UTC)`,
      {
        source: '--schedule',
      },
    );
  }
  return expression;
}

/**
 * Runs renewal passes on a node-cron schedule: one pass at start, then on every tick, never two at
 * once (a tick that finds a pass running is skipped, not queued). node-cron skips a tick whose
 * time passed while the event loop was blocked, which is harmless here because every pass checks
 * everything that is due (libraries.md §3).
 */
export class RenewalDaemon {
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: RenewalDaemonOptions) {}

  /** Runs a pass now, then schedules the next ones. Resolves once the first pass finished. */
  async start(): Promise<void> {
    const schedule = checkSchedule(this.options.schedule ?? DEFAULT_SCHEDULE);
    const log = this.options.logger;
    cron.setLogger({
      info: (message) => log.debug(String(message), { component: 'node-cron' }),
      warn: (message) => log.warn(String(message), { component: 'node-cron' }),
      error: (message) => log.error(String(message), { component: 'node-cron' }),
      debug: (message) => log.debug(String(message), { component: 'node-cron' }),
    });
    this.task = cron.createTask(schedule, () => this.pass('scheduled'), {
      timezone: 'UTC',
      noOverlap: true,
      maxRandomDelay: this.options.maxRandomDelayMs ?? DEFAULT_MAX_RANDOM_DELAY_MS,
      name: 'acme-renewal',
    });
    this.task.on('execution:missed', () =>
      log.warn('A scheduled renewal check was missed (the process was busy); the next one catches up'),
    );
    this.task.on('execution:overlap', () =>
      log.info('A renewal pass is still running; this scheduled check is skipped'),
    );
    this.task.start();
    log.info('Renewal daemon started', { schedule, timezone: 'UTC', nextCheckAt: this.nextCheckAt().toISOString() });
    await this.pass('startup');
  }

  /** Stops scheduling and waits (bounded) for a pass in flight. Idempotent. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.task?.stop();
    const inFlight = this.running;
    if (inFlight !== undefined) {
      this.options.logger.info('Waiting for the renewal pass in flight to finish');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((done) => {
        timer = setTimeout(() => done('timeout'), options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      });
      const outcome = await Promise.race([inFlight.then(() => 'done' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout')
        this.options.logger.warn('Stopped while a renewal pass was still running; the next start retries it');
    }
    await this.task?.destroy();
    this.task = undefined;
    this.options.logger.info('Renewal daemon stopped');
  }

  /** When the next scheduled check will run (without jitter); one hour from now when unknown. */
  nextCheckAt(): Date {
    return this.task?.getNextRun() ?? new Date(this.options.clock.now().getTime() + 3_600_000);
  }

  private async pass(trigger: 'startup' | 'scheduled'): Promise<void> {
    if (this.running !== undefined) return;
    const run = this.options
      .tick(this.nextCheckAt())
      .catch((error: unknown) =>
        this.options.logger.error('Renewal pass failed; the daemon carries on', { trigger, error: messageOf(error) }),
      );
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
    }
  }
}
