import type { Config } from '../config';
import type { Logger } from '../log';
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
  try {
    const config = await deps.loadConfig(toRawFlags(options));
    logger = deps.createLogger({ verbosity: config.output.verbosity, format: deps.stderrIsTty ? 'text' : 'json' });
    setExitCode((await body({ config, logger })) ?? EXIT_OK);
  } catch (error) {
    const presented = presentError(error);
    logger?.debug('Command failed', { code: presented.code, cause: describeCauses(error) });
    printError(deps, presented, json);
    setExitCode(presented.exitCode);
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
