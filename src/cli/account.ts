import type { Command } from 'commander';
import { accountKeyThumbprint, createAccountKey } from '../acme';
import { statelessHttp01Lines } from '../challenge';
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

With --http01-mode stateless HAProxy answers HTTP-01 with the key's thumbprint: the new lines to
install are printed (and logged); until HAProxy is reloaded with them, no HTTP-01 validation passes.
`;

const REGISTER_EXAMPLES = `
Examples:
  $ acme account register --email admin@example.com
  $ acme account register --directory letsencrypt-staging --json

Registers an account for --directory (agreeing to the CA's terms of service) and stores it, without
ordering anything: "acme haproxy-config --http01-mode stateless" needs its thumbprint before the
first "acme issue". Does nothing when an account is already stored.
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

function formatRollover(result: RolloverResult, statelessLines: string[] | undefined): string {
  const what = result.recovered ? 'Finished an interrupted key rollover of' : 'Rolled over the key of';
  const done = `${what} "${result.accountUrl}": thumbprint ${result.previousKeyThumbprint} -> ${result.keyThumbprint} (${result.keyType})\n`;
  if (statelessLines === undefined) return done;
  return `${done}HAProxy answers HTTP-01 (--http01-mode stateless): replace the acme-challenge lines of its HTTP frontend with these, then reload it:\n${statelessLines.map((line) => `    ${line}\n`).join('')}`;
}

/** The HAProxy lines for `thumbprint` when HAProxy answers HTTP-01 itself (`--http01-mode stateless`). */
function statelessLinesOf(config: Config, thumbprint: string): string[] | undefined {
  if (config.challengeType !== 'http-01' || config.http01Mode !== 'stateless') return undefined;
  return statelessHttp01Lines(thumbprint);
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
          `No ACME account for "${config.directoryUrl}" in "${config.home}" yet; "acme issue" or "acme account register" registers one\n`,
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
      const lines = statelessLinesOf(config, result.keyThumbprint);
      if (lines !== undefined && result.keyThumbprint !== result.previousKeyThumbprint) {
        logger.warn(
          'The account thumbprint changed: install the new HTTP-01 lines in HAProxy and reload it, or no HTTP-01 validation passes',
          { thumbprint: result.keyThumbprint, lines },
        );
      }
      const stateless = lines === undefined ? {} : { stateless: { thumbprint: result.keyThumbprint, lines } };
      if (config.output.json) printJson(deps.stdout, { ok: true, rollover: result, ...stateless });
      else deps.stdout.write(formatRollover(result, lines));
    }),
  );
}

/** What `acme account register` did; never the key. */
interface RegisterResult {
  directoryUrl: string;
  accountUrl: string;
  /** False when an account was already stored (nothing was sent to the CA). */
  registered: boolean;
  keyThumbprint: string;
}

/**
 * Registers an account with a new key and stores it, unless one is stored; the same steps as the
 * registration of `acme issue`, without an order.
 */
async function registerAccount(
  services: Pick<Services, 'store' | 'acmeFor'>,
  context: { config: Config; logger: Logger; signal: AbortSignal; now: Date },
): Promise<RegisterResult> {
  const { config, logger, signal } = context;
  const directoryUrl = config.directoryUrl;
  const stored = await services.store.loadAccount(directoryUrl);
  if (stored !== undefined) {
    const keyThumbprint = accountKeyThumbprint(stored.keyPem);
    return { directoryUrl, accountUrl: stored.accountUrl, registered: false, keyThumbprint };
  }
  const keyPem = await createAccountKey();
  const accountUrl = await services.acmeFor(keyPem).ensureAccount({ email: config.email }, { signal });
  await services.store.saveAccount({
    directoryUrl,
    accountUrl,
    email: config.email,
    keyPem,
    createdAt: context.now.toISOString(),
  });
  logger.info('Account registered', { accountUrl });
  return { directoryUrl, accountUrl, registered: true, keyThumbprint: accountKeyThumbprint(keyPem) };
}

function registerRegister(account: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const register = account
    .command('register')
    .description('register an ACME account for --directory without ordering a certificate, unless one is stored')
    .addHelpText('after', REGISTER_EXAMPLES);
  addConfigOptions(register);
  register.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger, signal }) => {
      const services = deps.createServices(config, logger);
      const result = await withHomeLock(
        { locks: services.locks, prepareHome: services.prepareHome },
        { timeoutMs: config.lockTimeoutMs, logger, signal },
        (_lock, held) => registerAccount(services, { config, logger, signal: held, now: deps.clock.now() }),
      );
      if (config.output.json) printJson(deps.stdout, { ok: true, account: result });
      else
        deps.stdout.write(
          `${result.registered ? 'Registered' : 'Already registered:'} "${result.accountUrl}" at "${result.directoryUrl}", key thumbprint ${result.keyThumbprint}\n`,
        );
    }),
  );
}

/** Registers `acme account show`, `acme account register` and `acme account rollover`. */
export function registerAccountCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const account = program.command('account').description('show or register the ACME account, or roll its key over');
  registerShow(account, deps, setExitCode);
  registerRegister(account, deps, setExitCode);
  registerRollover(account, deps, setExitCode);
}
