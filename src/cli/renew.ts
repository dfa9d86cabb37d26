import type { Command } from 'commander';
import type { Config } from '../config';
import { ConfigError, LockError } from '../errors';
import type { Logger } from '../log';
import { renewCertificates, syncCertificates, type RenewOutcome } from '../issuance';
import type { HeldLock, LocalBundles } from '../storage';
import type { DesiredCertificate } from '../renewal';
import { adoptLego } from './_adopt';
import type { CliDeps, Services } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { withHomeLock } from './_lock';
import { addConfigOptions, collect } from './_options';
import { formatTable, writeJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # From a timer: renew whatever is due, deploy it into HAProxy, run the post-renew hooks
  $ acme renew --haproxy-socket /run/haproxy/admin.sock

  # One certificate, now, whatever its schedule or failure backoff says
  $ acme renew --name photos.example.com --force --haproxy-socket /run/haproxy/admin.sock
`;

/**
 * One renewal pass as the CLI and the daemon run it, with every adapter. On the file store it runs
 * under the home lock. On a shared store the home lock is held only to ready the home and, at the
 * end, to make this node serve what it renewed (syncCertificates()): orders and stores run under
 * their certificate leases alone, so that this node's store follower (`acme sync --follow`) keeps
 * delivering what other nodes renew meanwhile, instead of waiting for the whole pass.
 */
export async function renewalPass(
  deps: CliDeps,
  context: { config: Config; logger: Logger; services: Services },
  options: { names?: string[]; force: boolean; nextCheckAt: Date; reuseKey?: boolean; signal?: AbortSignal },
): Promise<RenewOutcome[]> {
  const { config, logger, services } = context;
  await services.checkPrograms();
  const lockOptions = { timeoutMs: config.lockTimeoutMs, logger, signal: options.signal };
  if (services.cluster !== undefined) return sharedStorePass(deps, context, options);
  return withHomeLock(services, lockOptions, async (_home, work) => {
    await adoptLego({ ...context, clock: deps.clock });
    return renewCertificates(renewalDeps(deps, context, services), {
      ...options,
      desired: desiredFromConfig(config),
      signal: work,
    });
  });
}

function renewalDeps(
  deps: CliDeps,
  context: { config: Config; logger: Logger },
  services: Services,
): Parameters<typeof renewCertificates>[0] {
  const { config, logger } = context;
  return {
    ...services,
    deploy: {
      deployState: services.deployState,
      node: services.node,
      endpoints: services.haproxyEndpoints,
      crtList: services.crtList,
      fallback: services.fallback,
    },
    directoryUrl: config.directoryUrl,
    challengeType: config.challengeType,
    lockTimeoutMs: config.lockTimeoutMs,
    clock: deps.clock,
    logger,
  };
}

/**
 * Bundles of a pass on a shared store, which does not hold the home lock while it orders: it
 * writes the bundle of what it stored (atomically, so post-renew hooks read the new certificate)
 * but leaves reconciling and removing to the holder of the home lock.
 */
function deferredBundles(bundles: LocalBundles): LocalBundles {
  return {
    pathOf: (name) => bundles.pathOf(name),
    write: (stored, options) => bundles.write(stored, options),
    remove: async () => false,
    reconcile: async () => [],
  };
}

/** How long a pass on a shared store waits for the home lock before leaving delivery to the follower. */
const FOLLOWER_WAIT_MS = 5_000;

/** withHomeLock(), or false when another holder keeps the lock past `timeoutMs` (LOCK_BUSY). */
async function whenHomeFree<T>(
  services: Services,
  options: { timeoutMs: number; logger: Logger; signal: AbortSignal | undefined },
  body: (lock: HeldLock, signal: AbortSignal) => Promise<T>,
): Promise<T | false> {
  try {
    return await withHomeLock(services, options, body);
  } catch (error) {
    if (error instanceof LockError && error.code === 'LOCK_BUSY' && options.signal?.aborted !== true) return false;
    throw error;
  }
}

async function sharedStorePass(
  deps: CliDeps,
  context: { config: Config; logger: Logger; services: Services },
  options: { names?: string[]; force: boolean; nextCheckAt: Date; reuseKey?: boolean; signal?: AbortSignal },
): Promise<RenewOutcome[]> {
  const { config, logger, services } = context;
  // Ready the home only when nobody else holds it: a holder (this node's store follower, a
  // command run by hand) is of this release and readies it itself.
  const free = await whenHomeFree(services, { timeoutMs: 0, logger, signal: options.signal }, async () => true);
  if (!free) logger.debug('The home lock is held (by the store follower or another command); not waiting for it');
  const passServices: Services = {
    ...services,
    bundles: deferredBundles(services.bundles),
    haproxyEndpoints: [],
    crtList: undefined,
    fallback: undefined,
  };
  const outcomes = await renewCertificates(renewalDeps(deps, context, passServices), {
    ...options,
    desired: desiredFromConfig(config),
    // Nodes skip what another node is renewing (a forced run waits for it instead, then finds
    // it renewed or takes over an expired lease), and start their walks at different places.
    busyCertificates: options.force ? 'wait' : 'skip',
    spreadBy: services.node,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const renewed = outcomes.filter((outcome) => outcome.renewed !== undefined).map((outcome) => outcome.name);
  if (renewed.length === 0) return outcomes;
  // Serve what was renewed here now; when the follower holds the home lock, it delivers them itself.
  const lockOptions = { timeoutMs: Math.min(config.lockTimeoutMs, FOLLOWER_WAIT_MS), logger, signal: options.signal };
  const synced = await whenHomeFree(services, lockOptions, (_home, work) =>
    syncCertificates(
      renewed,
      { ...services, endpoints: services.haproxyEndpoints, clock: deps.clock, logger },
      {
        signal: work,
      },
    ),
  );
  if (synced === false) {
    logger.info('This node delivers what was renewed through its store follower', { renewed });
    return outcomes;
  }
  return outcomes.map((outcome) => {
    const sync = synced.find((entry) => entry.name === outcome.name);
    return sync === undefined ? outcome : { ...outcome, deploy: sync.deploy ?? [] };
  });
}

/** The certificate the configuration describes (snap options, flags) must look like that: a change makes it due. */
function desiredFromConfig(config: Config): Map<string, DesiredCertificate> {
  const desired = new Map<string, DesiredCertificate>();
  if (config.name !== undefined && config.domains.length > 0) {
    desired.set(config.name, {
      domains: config.domains,
      keyType: config.keyType,
      ...(config.profile === undefined ? {} : { profile: config.profile }),
    });
  }
  return desired;
}

/** True when a renewal failed, a deploy is pending or a hook failed: the pass exits 1. */
export function passFailed(outcomes: RenewOutcome[]): boolean {
  return outcomes.some(
    (o) =>
      o.error !== undefined ||
      (o.deploy ?? []).some((d) => d.outcome === 'pending') ||
      (o.hooks ?? []).some((h) => !h.ok),
  );
}

function describe(outcome: RenewOutcome): string {
  if (outcome.error !== undefined)
    return `FAILED: ${outcome.error}${outcome.nextAttemptAt ? `; next attempt after ${outcome.nextAttemptAt.toISOString()}` : ''}`;
  if (outcome.renewed !== undefined) {
    const pending = (outcome.deploy ?? []).filter((d) => d.outcome === 'pending').length;
    const failedHooks = (outcome.hooks ?? []).filter((h) => !h.ok).map((h) => h.label);
    return [
      `${outcome.renewed.resumed === true ? 'finished from the kept certificate (no new order)' : 'renewed'}, serial ${outcome.renewed.serial}, valid to ${outcome.renewed.notAfter.toISOString()}`,
      ...(pending > 0 ? [`deploy pending on ${pending} endpoint(s)`] : []),
      ...(failedHooks.length > 0 ? [`hook failed: ${failedHooks.join(', ')}`] : []),
    ].join('; ');
  }
  return outcome.decision.due
    ? 'due'
    : `${outcome.decision.reason === 'backoff' ? 'backing off' : 'not due'} until ${outcome.decision.notBefore.toISOString()}`;
}

/** Prints a pass: a table, or the JSON document. */
export async function printOutcomes(deps: CliDeps, config: Config, outcomes: RenewOutcome[]): Promise<void> {
  if (config.output.json) {
    await writeJson(deps.stdout, { ok: !passFailed(outcomes), certificates: outcomes });
    return;
  }
  if (outcomes.length === 0) {
    deps.stdout.write(`No certificates in "${config.home}" to renew; obtain one with "acme issue -d <name>"\n`);
    return;
  }
  deps.stdout.write(
    formatTable(
      ['NAME', 'RESULT', 'WHY'],
      outcomes.map((o) => [o.name, describe(o), o.decision.detail]),
    ),
  );
}

/** `--until`: when the next check will run; only what is due before it is renewed now. @throws ConfigError */
function nextCheckOf(until: unknown, now: Date): Date {
  if (until === undefined) return now;
  const at = typeof until === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(until) ? new Date(until) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) {
    throw new ConfigError(
      `Invalid --until "${String(until)}": expected an ISO 8601 time such as "2026-12-01T06:00:00Z"`,
      { source: '--until' },
    );
  }
  return at;
}

/** Registers `acme renew`. */
export function registerRenewCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('renew')
    .description(
      'renew every certificate that is due (ARI window, lifetime rule, emergency), deploy it and run the post-renew hooks',
    )
    .option('--name <name>', 'certificate to consider; repeat for several (default: all stored)', collect)
    .option('--force', 'renew now, ignoring the schedule and the failure backoff')
    .option('--reuse-key', "keep each certificate's private key when its type is unchanged")
    .option(
      '--until <time>',
      'renew what is due before this ISO 8601 time, e.g. the next run of your timer (default: now)',
    )
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) =>
    runAction(deps, { ...options, name: undefined }, setExitCode, async ({ config, logger, signal }) => {
      const services = deps.createServices(config, logger);
      const names = Array.isArray(options.name) ? (options.name as string[]) : undefined;
      const outcomes = await renewalPass(
        deps,
        { config, logger, services },
        {
          names,
          force: options.force === true,
          reuseKey: options.reuseKey === true,
          nextCheckAt: nextCheckOf(options.until, deps.clock.now()),
          signal,
        },
      );
      await printOutcomes(deps, config, outcomes);
      return passFailed(outcomes) ? EXIT_FAILED : EXIT_OK;
    }),
  );
}
