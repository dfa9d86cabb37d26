import type { Command } from 'commander';
import { checkSchedule, DEFAULT_SCHEDULE, RenewalDaemon } from '../renewal';
import type { CliDeps } from './_context';
import { EXIT_BAD_INPUT, EXIT_OK } from './_errors';
import { addConfigOptions, collect } from './_options';
import { runWithoutConfig } from './_run';

const EXAMPLES = `
Examples:
  # What the snap's "renewer" service runs
  $ acme daemon --haproxy-socket /var/snap/mysnap/current/run/admin.sock

  # Check every 6 hours instead of hourly (cron syntax, UTC)
  $ acme daemon --schedule "23 */6 * * *" --haproxy-socket /run/haproxy/admin.sock
`;

/**
 * The `acme renew` arguments for one pass: the daemon's own arguments with the verb replaced and
 * `--schedule` dropped (pure). Sample: `["daemon", "--schedule", "0 * * * *", "--home", "/h"]`
 * → `["renew", "--home", "/h", "--until", "<next check>"]`.
 */
export function renewArguments(daemonArgv: readonly string[], nextCheckAt: Date): string[] {
  const args: string[] = [];
  let verbReplaced = false;
  for (let i = 0; i < daemonArgv.length; i += 1) {
    const arg = daemonArgv[i]!;
    if (!verbReplaced && arg === 'daemon') {
      args.push('renew');
      verbReplaced = true;
    } else if (arg === '--schedule') {
      i += 1;
    } else if (!arg.startsWith('--schedule=')) {
      args.push(arg);
    }
  }
  return [...args, '--until', nextCheckAt.toISOString()];
}

/**
 * The `acme sync` arguments of the daemon's store follower (pure): the daemon's own arguments with
 * the verb replaced and `--schedule` dropped, plus `--follow --if-shared`, so that the child
 * exits at once on a store that is not shared. Sample: `["daemon", "--storage", "postgres://…"]`
 * → `["sync", "--storage", "postgres://…", "--follow", "--if-shared"]`.
 */
export function followArguments(daemonArgv: readonly string[]): string[] {
  const args = renewArguments(daemonArgv, new Date(0)).slice(0, -2);
  // Everything before the verb is kept as renewArguments() keeps it (`--schedule` and its value dropped).
  const before = renewArguments(daemonArgv.slice(0, Math.max(0, daemonArgv.indexOf('daemon'))), new Date(0)).length - 2;
  args[before] = 'sync';
  return [...args, '--follow', '--if-shared'];
}

/** Registers `acme daemon`. */
export function registerDaemonCommand(
  program: Command,
  deps: CliDeps,
  setExitCode: (code: number) => void,
  argv: readonly string[],
): void {
  const command = program
    .command('daemon')
    .description('run "acme renew" at start and then on a schedule (hourly by default, with jitter) until SIGTERM')
    .option(
      '--schedule <cron>',
      `when to check, cron syntax in UTC (default "${DEFAULT_SCHEDULE}", plus up to 15 min of random delay)`,
    )
    .option('--name <name>', 'certificate to consider on each pass; repeat for several (default: all stored)', collect)
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) =>
    // The parent only schedules: each pass is a child `acme renew`, which loads and checks the
    // configuration itself. So the parent never loads config's schemas or the ACME stack, and
    // idles small (docs/renewal.md); the start-up pass reports bad configuration at once.
    runWithoutConfig(deps, options, setExitCode, async ({ logger }) => {
      const schedule = checkSchedule(typeof options.schedule === 'string' ? options.schedule : DEFAULT_SCHEDULE);
      let startupExitCode: number | undefined;
      const daemon = new RenewalDaemon({
        schedule,
        logger,
        clock: deps.clock,
        tick: async (nextCheckAt) => {
          const exitCode = await deps.runSelf(renewArguments(argv, nextCheckAt), logger);
          startupExitCode ??= exitCode;
          const log = exitCode === EXIT_OK ? logger.info.bind(logger) : logger.warn.bind(logger);
          log('Renewal pass finished', { exitCode, nextCheckAt: nextCheckAt.toISOString() });
        },
      });
      const shutdown = deps.waitForShutdown();
      // On a shared store, a second child keeps this node serving what other nodes issue.
      const stopFollowing = new AbortController();
      const following = deps.superviseSelf?.(followArguments(argv), logger, stopFollowing.signal);
      await daemon.start();
      if (startupExitCode === EXIT_BAD_INPUT) {
        // Retrying cannot fix a bad flag or option; a service manager shows the failure instead.
        logger.error(
          'The start-up renewal pass rejected the command line or configuration (exit 2, see above); fix it and start the daemon again',
        );
        stopFollowing.abort();
        await Promise.all([daemon.stop(), following]);
        return EXIT_BAD_INPUT;
      }
      const signal = await shutdown;
      logger.info('Stopping the renewal daemon', { signal });
      stopFollowing.abort();
      await Promise.all([daemon.stop(), following]);
      // A failed pass is logged and retried on the next tick, never a reason to exit non-zero.
      return EXIT_OK;
    }),
  );
}
