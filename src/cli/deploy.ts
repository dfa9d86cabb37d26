import type { Command } from 'commander';
import { deployCertificate, type EndpointOutcome } from '../issuance';
import { ConfigError } from '../errors';
import { adoptLego } from './_adopt';
import type { CliDeps } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { formatOutcomes, hasPending } from './_deployOutput';
import { withHomeLock } from './_lock';
import { addConfigOptions, collect } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  # HAProxy was restarted from an old configuration: push what is on disk again
  $ acme deploy --haproxy-socket /run/haproxy/admin.sock

  # One certificate, to two HAProxy instances, proving the path without changing anything
  $ acme deploy --name photos.example.com --dry-run \\
      --haproxy-socket /run/haproxy/a.sock --haproxy-socket /run/haproxy/b.sock
`;

/** Registers `acme deploy`. */
export function registerDeployCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('deploy')
    .description('push stored certificates into the running HAProxy (every one, or --name), live and verified')
    .option('--name <name>', 'certificate to deploy; repeat for several (default: all stored)', collect)
    .option('--dry-run', 'send "set ssl cert" then "abort ssl cert": prove the path, change nothing')
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) =>
    runAction(deps, { ...options, name: undefined }, setExitCode, async ({ config, logger, signal }) => {
      const services = deps.createServices(config, logger);
      if (services.haproxyEndpoints.length === 0) {
        throw new ConfigError(
          'Missing --haproxy-socket: acme deploy needs at least one HAProxy runtime socket (flag --haproxy-socket, env ACME_HAPROXY_SOCKET or snap option haproxy-socket)',
          {
            source: '--haproxy-socket',
          },
        );
      }
      await services.checkPrograms();
      const dryRun = options.dryRun === true;
      const requested = Array.isArray(options.name) ? (options.name as string[]) : undefined;
      return withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal }, async (_home, work) => {
        if (!dryRun) await adoptLego({ config, logger, services, clock: deps.clock });
        const names = requested ?? (await services.store.listCertificateNames());
        const results: Array<{ name: string; outcomes: EndpointOutcome[] }> = [];
        for (const name of names) {
          const outcomes = await deployCertificate(
            name,
            { ...services, endpoints: services.haproxyEndpoints, clock: deps.clock, logger },
            { dryRun, signal: work },
          );
          results.push({ name, outcomes });
        }
        const pending = results.some((r) => hasPending(r.outcomes));
        if (config.output.json) printJson(deps.stdout, { ok: !pending, dryRun, certificates: results });
        else if (results.length === 0) deps.stdout.write(`No certificates in "${config.home}" to deploy\n`);
        else deps.stdout.write(results.map((r) => formatOutcomes(r.name, r.outcomes)).join(''));
        if (pending)
          deps.stderr.write(
            'Error: Some HAProxy endpoints did not get their certificate; they are marked pending and the next "acme deploy" retries them\n',
          );
        return pending ? EXIT_FAILED : EXIT_OK;
      });
    }),
  );
}
