import type { Command } from 'commander';
import { ConfigError } from '../errors';
import { NodeFollower, syncCertificates, type SyncDeps, type SyncOutcome } from '../issuance';
import type { Logger } from '../log';
import type { Config } from '../config';
import type { CliDeps, Services } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { withHomeLock } from './_lock';
import { addConfigOptions, collect } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # Serve on this node what the shared store holds now (bundles, crt-list, HAProxy), once
  $ acme sync --storage postgres://acme@db.internal/acme --node edge-2 \\
      --haproxy-socket /run/haproxy/admin.sock --haproxy-crt-list /etc/haproxy/crt-list.txt

  # Keep doing it: follow change notifications, re-check everything every 10 minutes
  # (acme daemon starts this for you on a shared store)
  $ acme sync --follow --storage postgres://acme@db.internal/acme --haproxy-socket /run/haproxy/admin.sock
`;

/** What a node on a shared store has (Services.cluster). */
type Cluster = NonNullable<Services['cluster']>;

/** Registers `acme sync`. */
export function registerSyncCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('sync')
    .description(
      "make this node serve what the store holds: rewrite each bundle that is not the current version's and hot-swap it into HAProxy; with --follow, keep doing it as other nodes store new versions",
    )
    .option('--name <name>', 'certificate to sync; repeat for several (default: all stored)', collect)
    .option(
      '--follow',
      "keep running: follow the shared store's change notifications, re-check everything every --sync-interval, and (with --http01-mode shared) answer HTTP-01 for every node",
    )
    .option('--if-shared', 'with --follow: exit 0 at once when the store is not shared (what acme daemon runs)')
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) => {
    const follow = options.follow === true;
    return runAction(
      deps,
      { ...options, name: undefined },
      setExitCode,
      async ({ config, logger, signal }) => {
        const services = deps.createServices(config, logger);
        const requested = Array.isArray(options.name) ? (options.name as string[]) : undefined;
        if (!follow) return syncOnce(deps, { config, logger, services, signal }, requested);
        const { cluster } = services;
        if (cluster === undefined) {
          if (options.ifShared === true) {
            logger.debug('Nothing to follow: the file store belongs to this node alone');
            return EXIT_OK;
          }
          throw new ConfigError(
            'Cannot follow the store: --follow needs a store several nodes share (--storage postgres://…); the file store belongs to this node alone',
            { source: '--storage' },
          );
        }
        return followStore({ config, logger, services, cluster, clock: deps.clock, signal }, requested);
      },
      { untilStopped: follow },
    );
  });
}

/** The deps of syncCertificates() from the services. */
function syncDeps(services: Services, context: { logger: Logger; clock: CliDeps['clock'] }): SyncDeps {
  return {
    ...services,
    endpoints: services.haproxyEndpoints,
    clock: context.clock,
    logger: context.logger,
  };
}

async function syncOnce(
  deps: CliDeps,
  context: { config: Config; logger: Logger; services: Services; signal: AbortSignal },
  requested: string[] | undefined,
): Promise<number> {
  const { config, logger, services, signal } = context;
  const outcomes = await withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal }, async (_l, work) =>
    syncCertificates(
      requested ?? (await services.store.listCertificateNames()),
      syncDeps(services, { logger, clock: deps.clock }),
      {
        signal: work,
      },
    ),
  );
  const failed = outcomes.some((outcome) => outcome.outcome === 'failed');
  if (config.output.json) printJson(deps.stdout, { ok: !failed, node: services.node, certificates: outcomes });
  else deps.stdout.write(outcomes.map(formatOutcome).join('') || 'No certificates in the store\n');
  return failed ? EXIT_FAILED : EXIT_OK;
}

function formatOutcome(outcome: SyncOutcome): string {
  const version = outcome.version === undefined ? '' : ` (version ${outcome.version}, serial ${outcome.serial ?? '?'})`;
  const error = outcome.error === undefined ? '' : `: ${outcome.error}`;
  return `${outcome.name}: ${outcome.outcome}${version}${error}\n`;
}

/** Follows the shared store until SIGTERM/SIGINT; with --http01-mode shared, answers HTTP-01 meanwhile. */
async function followStore(
  context: {
    config: Config;
    logger: Logger;
    services: Services;
    cluster: Cluster;
    clock: CliDeps['clock'];
    signal: AbortSignal;
  },
  requested: string[] | undefined,
): Promise<number> {
  const { config, logger, services, cluster, clock, signal } = context;
  const responder = config.http01Mode === 'shared' ? await startSharedResponder(config, cluster, logger) : undefined;
  const follower = new NodeFollower({
    feed: cluster.feed,
    pollIntervalMs: config.syncIntervalMs,
    listNames: async () => requested ?? (await services.store.listCertificateNames()),
    sync: (names, stop) =>
      withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal: stop }, (_lock, work) =>
        syncCertificates(
          requested === undefined ? names : names.filter((name) => requested.includes(name)),
          syncDeps(services, { logger, clock }),
          { signal: work },
        ),
      ),
    logger,
  });
  logger.info('Following the shared store', {
    storage: cluster.storage,
    node: services.node,
    pollIntervalMs: config.syncIntervalMs,
    http01: config.http01Mode,
  });
  try {
    await follower.run(signal);
  } finally {
    await responder?.stop();
  }
  logger.info('Stopped following the shared store');
  return EXIT_OK;
}

/** The always-on HTTP-01 responder of `--http01-mode shared`: every node answers every node's tokens. */
async function startSharedResponder(
  config: Config,
  cluster: Cluster,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  const { HttpChallengeServer } = await import('../challenge');
  const server = new HttpChallengeServer({ address: config.httpAddress, registry: cluster.tokens, logger });
  await server.start();
  logger.info('Answering HTTP-01 for every node from the shared store', { address: server.address() });
  return server;
}
