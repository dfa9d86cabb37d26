import type { Command } from 'commander';
import type { Config } from '../config';
import type { Logger } from '../log';
import { accountShow, rolloverAccount, type AccountDeps, type AccountSummary, type RolloverResult } from '../issuance';
import type { CliDeps, Services } from './_context';
import { withHomeLock } from './_lock';
import { addConfigOptions } from './_options';
import { formatTable, printJson } from './_output';
import { runAction } from './_run';

const SHOW_EXAMPLES = `
Examples:
  $ acme account show
  $ acme account show --offline --json     # stored facts only, no request to the CA

Shows the account URL, contact, key type and the key's RFC 7638 thumbprint; never the key.
`;

const ROLLOVER_EXAMPLES = `
Examples:
  $ acme account rollover
  $ acme account rollover --directory letsencrypt-staging --json

A new ECDSA P-256 key is written next to the account first (.account.key.pem.next), then the CA
switches the account to it (RFC 8555 key change), then it replaces account.key.pem. If that is
interrupted, the next "acme account rollover" asks the CA which key it knows and finishes.
`;

function accountDeps(
  deps: CliDeps,
  config: Config,
  logger: Logger,
): AccountDeps & Pick<Services, 'locks' | 'prepareHome'> {
  const services = deps.createServices(config, logger);
  return {
    directoryUrl: config.directoryUrl,
    store: services.store,
    keyStage: services.accountKeyStage,
    acmeFor: services.acmeFor,
    clock: deps.clock,
    logger,
    locks: services.locks,
    prepareHome: services.prepareHome,
  };
}

function formatSummary(summary: AccountSummary): string {
  const atCa =
    summary.registeredAtCa === null
      ? 'not checked (--offline)'
      : summary.registeredAtCa
        ? 'registered'
        : 'NOT known by this key';
  const rows = [
    ['Account', summary.accountUrl],
    ['Directory', summary.directoryUrl],
    ['Contact', summary.contact.join(', ') || 'none'],
    ['Created', summary.createdAt],
    ['Key type', summary.keyType],
    ['Key thumbprint', `${summary.keyThumbprint} (RFC 7638, SHA-256)`],
    ['At the CA', atCa],
    ...(summary.pendingRollover ? [['Rollover', 'interrupted; run "acme account rollover" to finish it']] : []),
  ];
  return formatTable(['FIELD', 'VALUE'], rows);
}

function formatRollover(result: RolloverResult): string {
  const what = result.recovered ? 'Finished an interrupted key rollover of' : 'Rolled over the key of';
  return `${what} "${result.accountUrl}": thumbprint ${result.previousKeyThumbprint} -> ${result.keyThumbprint} (${result.keyType})\n`;
}

function registerShow(account: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const show = account
    .command('show')
    .description('print the stored ACME account of --directory: URL, contact, key type and key thumbprint')
    .option('--offline', 'do not ask the CA whether it still knows the key')
    .addHelpText('after', SHOW_EXAMPLES);
  addConfigOptions(show);
  show.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const summary = await accountShow(accountDeps(deps, config, logger), { offline: options.offline === true });
      if (config.output.json) printJson(deps.stdout, { ok: true, account: summary ?? null });
      else if (summary === undefined)
        deps.stdout.write(
          `No ACME account for "${config.directoryUrl}" in "${config.home}" yet; "acme issue" registers one\n`,
        );
      else deps.stdout.write(formatSummary(summary));
    }),
  );
}

function registerRollover(account: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const rollover = account
    .command('rollover')
    .description('replace the account key with a new ECDSA P-256 key, at the CA and in --home (RFC 8555 §7.3.5)')
    .addHelpText('after', ROLLOVER_EXAMPLES);
  addConfigOptions(rollover);
  rollover.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger, signal }) => {
      const { locks, prepareHome, ...lifecycle } = accountDeps(deps, config, logger);
      const result = await withHomeLock(
        { locks, prepareHome },
        { timeoutMs: config.lockTimeoutMs, logger, signal },
        () => rolloverAccount(lifecycle),
      );
      if (config.output.json) printJson(deps.stdout, { ok: true, rollover: result });
      else deps.stdout.write(formatRollover(result));
    }),
  );
}

/** Registers `acme account show` and `acme account rollover`. */
export function registerAccountCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const account = program.command('account').description('show the ACME account, or roll its key over');
  registerShow(account, deps, setExitCode);
  registerRollover(account, deps, setExitCode);
}
