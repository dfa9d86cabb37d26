import type { Command } from 'commander';
import { checkSchedule, DEFAULT_SCHEDULE, RenewalDaemon } from '../renewal';
import type { CliDeps } from './_context';
import { EXIT_OK } from './_errors';
import { addCommonOptions, addHaproxyOptions, addIssueOptions } from './_options';
import { runAction } from './_run';
import { passFailed, renewalPass } from './renew';

const EXAMPLES = `
Examples:
  # What the snap's "renewer" service runs
  $ acme daemon --haproxy-socket /var/snap/mysnap/current/run/admin.sock

  # Check every 6 hours instead of hourly (cron syntax, UTC)
  $ acme daemon --schedule "23 */6 * * *" --haproxy-socket /run/haproxy/admin.sock
`;

/** Registers `acme daemon`. */
export function registerDaemonCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('daemon')
    .description('run "acme renew" at start and then on a schedule (hourly by default, with jitter) until SIGTERM')
    .option('--schedule <cron>', `when to check, cron syntax in UTC (default "${DEFAULT_SCHEDULE}", plus up to 15 min of random delay)`)
    .addHelpText('after', EXAMPLES);
  addHaproxyOptions(addIssueOptions(addCommonOptions(command), { withName: false }));
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const schedule = checkSchedule(typeof options.schedule === 'string' ? options.schedule : DEFAULT_SCHEDULE);
      const services = deps.createServices(config, logger);
      const daemon = new RenewalDaemon({
        schedule,
        logger,
        clock: deps.clock,
        tick: async (nextCheckAt) => {
          const outcomes = await renewalPass(deps, { config, logger, services }, { force: false, nextCheckAt });
          const renewed = outcomes.filter((o) => o.renewed !== undefined).length;
          const log = passFailed(outcomes) ? logger.warn.bind(logger) : logger.info.bind(logger);
          log('Renewal pass finished', { certificates: outcomes.length, renewed, nextCheckAt: nextCheckAt.toISOString() });
        },
      });
      const shutdown = deps.waitForShutdown();
      await daemon.start();
      const signal = await shutdown;
      logger.info('Stopping the renewal daemon', { signal });
      await daemon.stop();
      // A failed pass is logged and retried on the next tick, never a reason to exit non-zero.
      return EXIT_OK;
    }),
  );
}
