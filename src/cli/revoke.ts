import { Option, type Command } from 'commander';
import { ConfigError } from '../errors';
import { revokeCertificate, type RevocationReason } from '../issuance';
import type { CliDeps } from './_context';
import { withHomeLock } from './_lock';
import { addConfigOptions } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';

/**
 * RFC 5280 §5.3.1 CRLReason codes a subscriber may ask for; Let's Encrypt refuses the others
 * (its CP/CPS §4.9.1.1). keyCompromise signed with the account key revokes the certificate but
 * does not block the key at Let's Encrypt.
 */
export const REVOCATION_REASONS: Readonly<Record<string, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  superseded: 4,
  cessationOfOperation: 5,
};

const EXAMPLES = `
Examples:
  # The certificate was replaced by another one and is no longer used
  $ acme revoke --name photos.example.com --reason superseded

  # The private key leaked; the next "acme renew" (or the daemon's next pass) replaces it at once
  $ acme revoke --name photos.example.com --reason keyCompromise --json

The certificate stays stored and served until it is replaced: a revoked certificate is an emergency
for "acme renew" and the daemon, which renew it on their next pass; or take it out of HAProxy with
"acme remove --name N". The revocation is recorded in <home>/renewal/<name>.json.
`;

/** The reason named on the command line, with its code; undefined when none was given. */
function reasonOf(name: unknown): RevocationReason | undefined {
  if (name === undefined) return undefined;
  const code = typeof name === 'string' ? REVOCATION_REASONS[name] : undefined;
  if (code === undefined) {
    throw new ConfigError(
      `Invalid --reason ${JSON.stringify(name)}: use one of ${Object.keys(REVOCATION_REASONS).join(', ')}`,
      { source: '--reason' },
    );
  }
  return { name: name as string, code };
}

/** The normalised `--name` of a command that acts on exactly one certificate; the flag is required. */
export function requiredName(
  options: Record<string, unknown>,
  configName: string | undefined,
  command: string,
): string {
  // Only the flag counts: a name from ACME_NAME or a snap option must not pick what gets revoked or removed.
  if (typeof options.name !== 'string' || configName === undefined) {
    throw new ConfigError(`Missing --name: acme ${command} needs the certificate name, as "acme list" shows it`, {
      source: '--name',
    });
  }
  return configName;
}

/** Registers `acme revoke`. */
export function registerRevokeCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('revoke')
    .description('revoke a stored certificate at the CA that issued it, signed with the stored account')
    .option('--name <name>', 'certificate to revoke, as "acme list" shows it (required)')
    .addOption(
      new Option(
        '--reason <reason>',
        'RFC 5280 reason sent to the CA (default: none, recorded as unspecified)',
      ).choices(Object.keys(REVOCATION_REASONS)),
    )
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger, signal }) => {
      const name = requiredName(options, config.name, 'revoke');
      const reason = reasonOf(options.reason);
      const services = deps.createServices(config, logger);
      const result = await withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal }, () =>
        revokeCertificate(
          name,
          {
            ...services,
            directoryUrl: config.directoryUrl,
            lockTimeoutMs: config.lockTimeoutMs,
            clock: deps.clock,
            logger,
          },
          { reason, signal },
        ),
      );
      if (config.output.json) {
        printJson(deps.stdout, {
          ok: true,
          revoked: {
            ...result,
            reason: result.reason?.name ?? null,
            reasonCode: result.reason?.code ?? null,
            revokedAt: result.revokedAt.toISOString(),
          },
        });
        return;
      }
      deps.stdout.write(
        `Revoked "${result.name}" (serial ${result.serial}) at "${result.directoryUrl}"${result.reason === undefined ? '' : `, reason ${result.reason.name}`}\n` +
          `It is still stored and served until "acme renew" replaces it (a revoked certificate is renewed on the next pass), or take it out with "acme remove --name ${result.name}"\n`,
      );
    }),
  );
}
