import type { Config } from '../config';
import { DeadlineError, messageOf } from '../errors';
import { verbosityOf, type Logger } from '../log';
import { INTERRUPT_GRACE_MS, settleWithin, startCancellation, type Cancellation } from './_cancel';
import type { CliDeps } from './_context';
import { noDeadline, startDeadline, type Deadline } from './_deadline';
import { presentError, EXIT_FAILED, EXIT_OK } from './_errors';
import { lockWaitStep, releaseHeldLocks } from './_lock';
import { toRawFlags } from './_options';
import { printError } from './_output';

/** What a command body gets: `signal` aborts on the deadline (DeadlineError) or SIGINT/SIGTERM (InterruptedError). */
export interface ActionContext {
  config: Config;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Loads config, builds the logger, runs the command body under its deadline (`--timeout`) and
 * SIGINT/SIGTERM, and turns any failure into output + exit code. Past the deadline: logs an error
 * naming the step, prints it, releases the home lock and ends the process through `deps.exitNow`
 * (the body may still be in work that does not take the signal, e.g. `account rollover`). Interrupted: the same,
 * after giving the body INTERRUPT_GRACE_MS to stop, with exit code 130 or 143.
 */
export async function runAction(
  deps: CliDeps,
  options: Record<string, unknown>,
  setExitCode: (code: number) => void,
  body: (context: ActionContext) => Promise<number | void>,
  behaviour: { untilStopped?: boolean } = {},
): Promise<void> {
  const run: ActionState = {};
  try {
    const { config, logger, deadline, cancellation } = await startAction(deps, options, run, behaviour);
    const signal = AbortSignal.any([deadline.signal, cancellation.signal]);
    run.work = body({ config, logger, signal });
    setExitCode((await Promise.race([run.work, deadline.expired, cancellation.interrupted])) ?? EXIT_OK);
  } catch (error) {
    setExitCode(reportFailure(deps, error, { logger: run.logger, json: options.json === true, run }));
  } finally {
    run.deadline?.cancel();
  }
  await finishAction(deps, run, setExitCode);
}

/**
 * After the body: interrupted (exit 130/143) or past the deadline, give the locks up and end the
 * process (the body may still be in work that does not take the signal); otherwise write metrics.
 */
async function finishAction(deps: CliDeps, run: ActionState, setExitCode: (code: number) => void): Promise<void> {
  const { config, logger, deadline, cancellation } = run;
  const interruptedCode = cancellation?.exitCode();
  if (interruptedCode !== undefined) {
    // The body saw the signal: let it release its own locks first (a second signal ends the process at once).
    await settleWithin(run.work, INTERRUPT_GRACE_MS);
    cancellation?.dispose();
    await releaseHeldLocks(logger);
    setExitCode(interruptedCode);
    deps.exitNow?.(interruptedCode);
    return;
  }
  cancellation?.dispose();
  if (deadline?.hasExpired() === true) {
    await releaseHeldLocks(logger);
    deps.exitNow?.(EXIT_FAILED);
    return;
  }
  if (config?.metricsFile !== undefined && logger !== undefined)
    await writeMetrics(deps, { config, logger, path: config.metricsFile });
}

/** What runAction() has set up so far. */
interface ActionState {
  config?: Config;
  logger?: Logger;
  deadline?: Deadline;
  cancellation?: Cancellation;
  /** The body's promise, once it runs. */
  work?: Promise<number | void>;
}

/** Loads the configuration, builds the logger and starts the deadline, recording each in `run` as it exists. */
async function startAction(
  deps: CliDeps,
  options: Record<string, unknown>,
  run: ActionState,
  behaviour: { untilStopped?: boolean },
): Promise<Required<Omit<ActionState, 'work'>>> {
  const cancellation = startCancellation(deps.onInterrupt, {
    currentStep: () => lockWaitStep() ?? deps.currentStep?.(),
    exitNow: (code) => deps.exitNow?.(code),
  });
  run.cancellation = cancellation;
  const config = await deps.loadConfig(toRawFlags(options));
  run.config = config;
  const logger = deps.createLogger({ verbosity: config.output.verbosity, format: deps.stderrIsTty ? 'text' : 'json' });
  run.logger = logger;
  // A command that runs until stopped has no deadline; each step it takes has its own timeouts.
  const deadline = behaviour.untilStopped === true ? noDeadline() : startDeadline(config.timeoutMs, deps.currentStep);
  run.deadline = deadline;
  if (behaviour.untilStopped !== true) deps.announceDeadline?.(config.timeoutMs);
  return { config, logger, deadline, cancellation };
}

/** Logs and prints a failure (the interruption, when there was one); returns its exit code. */
function reportFailure(
  deps: CliDeps,
  failure: unknown,
  context: { logger: Logger | undefined; json: boolean; run: ActionState },
): number {
  const { logger } = context;
  const interruption = context.run.cancellation?.signal.reason as unknown;
  const error = interruption ?? failure;
  if (interruption !== undefined && failure !== interruption)
    logger?.warn('The command failed after it was interrupted', { error: messageOf(failure) });
  const presented = presentError(error);
  if (error instanceof DeadlineError)
    logger?.error('The command ran past its deadline; stopping it', { timeoutMs: error.timeoutMs, step: error.step });
  logger?.debug('Command failed', { code: presented.code, cause: describeCauses(error) });
  printError(deps, presented, context.json);
  return presented.exitCode;
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
    const { store, bundles, deployState, node, renewalState, haproxyEndpoints } = deps.createServices(config, logger);
    const endpointLabels = haproxyEndpoints.map((endpoint) => endpoint.label);
    await recordMetrics(path, {
      store,
      bundles,
      deployState,
      node,
      renewalState,
      endpointLabels,
      clock: deps.clock,
      logger,
    });
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
