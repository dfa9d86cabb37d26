import type { Command } from 'commander';
import { ConfigError } from '../errors';
import { issueCertificate, type IssueResult } from '../issuance';
import type { Config } from '../config';
import type { CliDeps } from './_context';
import { addCommonOptions, addIssueOptions } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # Obtain a certificate for two names; HAProxy routes /.well-known/acme-challenge/ to 127.0.0.1:34000
  $ acme issue -d photos.example.com -d www.photos.example.com --email admin@example.com

  # Check the route through the local HAProxy before the CA does, and print JSON
  $ acme issue -d photos.example.com --preflight http://127.0.0.1:80 --json

  # Against Let's Encrypt's staging CA, with an RSA key
  $ acme issue -d photos.example.com --directory letsencrypt-staging --key-type rsa2048
`;

/** Registers `acme issue`. */
export function registerIssueCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('issue')
    .description('obtain a certificate over HTTP-01 and store it, with its HAProxy bundle, under --home')
    .addHelpText('after', EXAMPLES);
  addIssueOptions(addCommonOptions(command));
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const { name, domains } = requireCertificateTarget(config);
      const services = deps.createServices(config, logger);
      const result = await issueCertificate(
        { name, domains, keyType: config.keyType, email: config.email },
        { ...services, directoryUrl: config.directoryUrl, clock: deps.clock, logger },
      );
      if (config.output.json) printJson(deps.stdout, { ok: true, certificate: toJson(result) });
      else deps.stdout.write(formatResult(result));
    }),
  );
}

function requireCertificateTarget(config: Config): { name: string; domains: string[] } {
  if (config.domains.length === 0 || config.name === undefined) {
    throw new ConfigError(
      'Missing --domain: acme issue needs at least one DNS name (flag --domain, env ACME_DOMAIN or snap option acme-domain)',
      { source: '--domain' },
    );
  }
  return { name: config.name, domains: config.domains };
}

function toJson(result: IssueResult): Record<string, unknown> {
  return {
    name: result.name,
    domains: result.domains,
    serial: result.serial,
    notBefore: result.notBefore.toISOString(),
    notAfter: result.notAfter.toISOString(),
    keyType: result.keyType,
    accountUrl: result.accountUrl,
    accountReused: result.accountReused,
    durationMs: result.durationMs,
    paths: result.paths,
  };
}

function formatResult(result: IssueResult): string {
  return [
    `Issued "${result.name}" for ${result.domains.join(', ')}`,
    `  serial     ${result.serial}`,
    `  valid      ${result.notBefore.toISOString()} to ${result.notAfter.toISOString()}`,
    `  key        ${result.keyType}`,
    `  bundle     ${result.paths.bundle}`,
    `  directory  ${result.paths.dir}`,
    `  took       ${(result.durationMs / 1000).toFixed(1)} s`,
    '',
  ].join('\n');
}
