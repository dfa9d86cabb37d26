import type { Config } from '../config';
import { messageOf } from '../errors';
import { verbosityOf, type Logger } from '../log';
import type { CliDeps } from './_context';
import { presentError, EXIT_OK } from './_errors';
import { toRawFlags } from './_options';
import { printError } from './_output';

/** Loads config, builds the logger, runs the command body, and turns any failure into output + exit code. */
export async function runAction(
  deps: CliDeps,
  options: Record<string, unknown>,
  setExitCode: (code: number) => void,
  body: (context: { config: Config; logger: Logger }) => Promise<number | void>,
): Promise<void> {
  const json = options.json === true;
  let logger: Logger | undefined;
  let config: Config | undefined;
  try {
    config = await deps.loadConfig(toRawFlags(options));
    logger = deps.createLogger({ verbosity: config.output.verbosity, format: deps.stderrIsTty ? 'text' : 'json' });
    setExitCode((await body({ config, logger })) ?? EXIT_OK);
  } catch (error) {
    const presented = presentError(error);
    logger?.debug('Command failed', { code: presented.code, cause: describeCauses(error) });
    printError(deps, presented, json);
    setExitCode(presented.exitCode);
  }
  if (config?.metricsFile !== undefined && logger !== undefined) await writeMetrics(deps, { config, logger, path: config.metricsFile });
}

/**
 * For a command that must stay small and so never loads the configuration (the daemon's parent):
 * the logger follows -v/-q alone; failures are presented as in runAction.
 */
export async function runWithoutConfig(
  deps: CliDeps,
  options: Record<string, unknown>,
  setExitCode: (code: number) => void,
  body: (context: { logger: Logger }) => Promise<number | void>,
): Promise<void> {
  const verbosity = verbosityOf({ verbose: options.verbose === true, quiet: options.quiet === true });
  const logger = deps.createLogger({ verbosity, format: deps.stderrIsTty ? 'text' : 'json', plain: true });
  try {
    setExitCode((await body({ logger })) ?? EXIT_OK);
  } catch (error) {
    const presented = presentError(error);
    printError(deps, presented, options.json === true);
    setExitCode(presented.exitCode);
  }
}

/**
 * `--metrics-file`, after the body whatever its outcome; a failure here is a warning and never changes the exit code.
 * Loaded on demand: metrics/ pulls in issuance/ and storage/, which `acme daemon` must not load.
 */
async function writeMetrics(deps: CliDeps, context: { config: Config; logger: Logger; path: string }): Promise<void> {
  const { config, logger, path } = context;
  try {
    const { recordMetrics } = await import('../metrics');
    const { store, deployState, renewalState, haproxyEndpoints } = deps.createServices(config, logger);
    const endpointLabels = haproxyEndpoints.map((endpoint) => endpoint.label);
    await recordMetrics(path, { store, deployState, renewalState, endpointLabels, clock: deps.clock, logger });
  } catch (error) {
    logger.warn(`Cannot write metrics file "${path}": ${messageOf(error)}`, { metricsFile: path });
  }
}

/** The chain of causes as short strings, for the debug log. */
function describeCauses(error: unknown): string[] {
  const causes: string[] = [];
  let current: unknown = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && causes.length < 5) {
    causes.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return causes;
}
