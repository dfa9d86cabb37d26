import type { Command } from 'commander';
import { ConfigError } from '../errors';
import {
  deployBundle,
  deployCertificate,
  issueCertificate,
  storedButUndelivered,
  type EndpointOutcome,
  type IssueRequest,
  type IssueResult,
} from '../issuance';
import type { Config, KeyType } from '../config';
import type { Logger } from '../log';
import type { Clock } from '../clock';
import type { CertificatePaths } from '../storage';
import { adoptLego } from './_adopt';
import type { CliDeps, Services } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { formatOutcomes, hasPending } from './_deployOutput';
import { withHomeLock } from './_lock';
import { addConfigOptions } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # Obtain a certificate for two names; HAProxy routes /.well-known/acme-challenge/ to 127.0.0.1:34000
  $ acme issue -d photos.example.com -d www.photos.example.com --email admin@example.com

  # ... and put it into the running HAProxy at once, adding it to the HTTPS bind's crt-list
  $ acme issue -d photos.example.com --haproxy-socket /run/haproxy/admin.sock \\
      --haproxy-crt-list /etc/haproxy/crt-list.txt

  # Nothing on port 80: HAProxy's port 443 TCP frontend sends ALPN acme-tls/1 to 127.0.0.1:34000
  $ acme issue -d photos.example.com --challenge-type tls-alpn-01 --preflight https://127.0.0.1:443

  # Prove the whole path against the staging CA without changing what HAProxy serves
  $ acme issue -d photos.example.com --directory letsencrypt-staging --dry-run \\
      --preflight http://127.0.0.1:80 --haproxy-socket /run/haproxy/admin.sock
`;

/** Registers `acme issue`. */
export function registerIssueCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('issue')
    .description(
      'obtain a certificate over HTTP-01 (or TLS-ALPN-01 with --challenge-type), store it under --home, and hot-swap it into HAProxy',
    )
    .option(
      '--dry-run',
      'obtain and check the certificate but store nothing; HAProxy gets "set ssl cert" then "abort ssl cert"',
    )
    .option('--reuse-key', "keep the stored certificate's private key when its type matches --key-type")
    .option(
      '--dual',
      'also obtain an RSA certificate (named <name>.rsa) for the same names; HAProxy serves ECDSA to clients that support it, RSA to the others',
    )
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command);
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger, signal }) => {
      const { name, domains } = requireCertificateTarget(config);
      const dryRun = options.dryRun === true;
      const services = deps.createServices(config, logger);
      await services.checkPrograms();
      return withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal }, async (_home, work) => {
        if (!dryRun) await adoptLego({ config, logger, services, clock: deps.clock });
        const issued: Array<{ result: IssueResult; outcomes: EndpointOutcome[]; paths: CertificatePaths }> = [];
        for (const target of certificateTargets(name, config.keyType, options.dual === true)) {
          const request: IssueRequest = {
            name: target.name,
            domains,
            keyType: target.keyType,
            email: config.email,
            reuseKey: options.reuseKey === true,
            ...(config.profile === undefined ? {} : { profile: config.profile }),
          };
          const context = {
            ...services,
            endpoints: services.haproxyEndpoints,
            directoryUrl: config.directoryUrl,
            challengeType: config.challengeType,
            lockTimeoutMs: config.lockTimeoutMs,
            clock: deps.clock,
            logger,
          };
          // A run whose deploy failed left a stored certificate HAProxy has not got: deliver that, not a new order.
          const result =
            (dryRun ? undefined : await storedButUndelivered(request, context)) ??
            (await issueCertificate(request, context, {
              dryRun,
              signal: work,
              // Nodes sharing a store: one order serves every node that asks for the same names.
              reuseFresh: services.cluster !== undefined,
            }));
          const outcomes = await deploy(result, services, { dryRun, logger, clock: deps.clock, signal: work });
          issued.push({ result, outcomes, paths: services.certificatePaths(result.name) });
        }
        report(deps, config, issued, dryRun);
        return issued.some((i) => hasPending(i.outcomes)) ? EXIT_FAILED : EXIT_OK;
      });
    }),
  );
}

/**
 * `--dual`: an ECDSA certificate under `name` and an RSA one under `<name>.rsa`, both deployed;
 * HAProxy serves ECDSA to clients that support it and RSA to the others.
 */
function certificateTargets(name: string, keyType: KeyType, dual: boolean): Array<{ name: string; keyType: KeyType }> {
  if (!dual) return [{ name, keyType }];
  const ecdsa: KeyType = keyType.startsWith('ec') ? keyType : 'ec256';
  const rsa: KeyType = keyType.startsWith('rsa') ? keyType : 'rsa2048';
  return [
    { name, keyType: ecdsa },
    { name: `${name}.rsa`, keyType: rsa },
  ];
}

async function deploy(
  result: IssueResult,
  services: Services,
  options: { dryRun: boolean; logger: Logger; clock: Clock; signal: AbortSignal },
): Promise<EndpointOutcome[]> {
  const deployDeps = {
    ...services,
    endpoints: services.haproxyEndpoints,
    clock: options.clock,
    logger: options.logger,
  };
  if (services.haproxyEndpoints.length === 0) {
    options.logger.info('No --haproxy-socket configured: HAProxy loads the new bundle at its next reload', {
      bundle: result.bundlePath,
    });
    return [];
  }
  return options.dryRun
    ? deployBundle(result.delivery, deployDeps, { dryRun: true, name: result.name, signal: options.signal })
    : deployCertificate(result.name, deployDeps, { signal: options.signal });
}

function report(
  deps: CliDeps,
  config: Config,
  issued: Array<{ result: IssueResult; outcomes: EndpointOutcome[]; paths: CertificatePaths }>,
  dryRun: boolean,
): void {
  const [primary, ...others] = issued;
  if (primary === undefined) return;
  const pending = issued.filter((i) => hasPending(i.outcomes));
  if (config.output.json) {
    printJson(deps.stdout, {
      ok: pending.length === 0,
      dryRun,
      certificate: toJson(primary.result, primary.paths),
      deploy: primary.outcomes,
      ...(others.length === 0
        ? {}
        : { alsoIssued: others.map((o) => ({ certificate: toJson(o.result, o.paths), deploy: o.outcomes })) }),
    });
  } else {
    for (const { result, outcomes, paths } of issued) {
      deps.stdout.write(formatResult(result, dryRun, paths));
      deps.stdout.write(formatOutcomes(result.name, outcomes));
    }
  }
  for (const { result } of pending) {
    deps.stderr.write(
      `Error: Certificate "${result.name}" is stored but not yet served by every HAProxy endpoint; it is marked pending, run "acme deploy --name ${result.name}" once HAProxy is reachable\n`,
    );
  }
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

/** `paths`: where the file backend keeps the certificate (the bundle is this node's). */
function toJson(result: IssueResult, paths: CertificatePaths): Record<string, unknown> {
  return {
    name: result.name,
    domains: result.domains,
    serial: result.serial,
    notBefore: result.notBefore.toISOString(),
    notAfter: result.notAfter.toISOString(),
    keyType: result.keyType,
    accountUrl: result.accountUrl,
    accountReused: result.accountReused,
    stored: result.stored,
    resumed: result.resumed,
    durationMs: result.durationMs,
    paths,
  };
}

function formatResult(result: IssueResult, dryRun: boolean, paths: CertificatePaths): string {
  const names = result.domains.join(', ');
  return [
    dryRun
      ? `Dry run: obtained and checked "${result.name}" for ${names}; nothing was stored`
      : result.resumed
        ? `Finished "${result.name}" for ${names} from the certificate an earlier run obtained; no new order`
        : `Issued "${result.name}" for ${names}`,
    `  serial     ${result.serial}`,
    `  valid      ${result.notBefore.toISOString()} to ${result.notAfter.toISOString()}`,
    `  key        ${result.keyType}`,
    `  bundle     ${result.bundlePath}`,
    `  directory  ${paths.dir}`,
    `  took       ${(result.durationMs / 1000).toFixed(1)} s`,
    '',
  ].join('\n');
}
