import type { Clock } from '../clock';
import type { Config } from '../config';
import { AppError, messageOf } from '../errors';
import type { Logger } from '../log';
import { adoptLegoHome, type LegoAdoptionReport } from '../migration';
import type { Services } from './_context';

/** What adoptLego() needs: the command's configuration, logger, services and clock. */
export interface AdoptContext {
  config: Config;
  logger: Logger;
  services: Services;
  clock: Clock;
}

/** The adoption's dependencies, from a command's services. */
export function adoptionDeps(context: AdoptContext): Parameters<typeof adoptLegoHome>[1] {
  const { config, logger, services, clock } = context;
  return {
    directoryUrl: config.directoryUrl,
    store: services.store,
    bundles: services.bundles,
    renewalState: services.renewalState,
    deploy: {
      deployState: services.deployState,
      node: services.node,
      endpoints: services.haproxyEndpoints,
      crtList: services.crtList,
      fallback: services.fallback,
    },
    clock,
    logger,
  };
}

/**
 * Adopts lego's files in --home (docs/migration-lego.md, "In place"), first thing under the home
 * lock of a state-changing command: cheap when there are none, one log line per adopted item.
 * Never fails the command: an error is logged and the command goes on with what --home holds.
 */
export async function adoptLego(context: AdoptContext): Promise<LegoAdoptionReport | undefined> {
  try {
    return await adoptLegoHome(
      context.config.home,
      adoptionDeps(context),
      context.config.email === undefined ? {} : { email: context.config.email },
    );
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    context.logger.warn(
      'Cannot adopt lego\'s files in --home; going on without them (run "acme import lego" to see why)',
      { error: messageOf(error) },
    );
    return undefined;
  }
}
