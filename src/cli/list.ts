import type { Command } from 'commander';
import { listCertificates } from '../issuance';
import type { CliDeps } from './_context';
import { addCommonOptions } from './_options';
import { formatTable, printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  $ acme list
  $ acme list --json | jq '.certificates[] | select(.daysLeft < 20) | .name'
`;

/** Registers `acme list`. */
export function registerListCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('list')
    .description('show the stored certificates: names, serial, expiry and key type')
    .addHelpText('after', EXAMPLES);
  addCommonOptions(command);
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const { store } = deps.createServices(config, logger);
      const certificates = await listCertificates({ store, clock: deps.clock });
      if (config.output.json) {
        printJson(deps.stdout, { ok: true, certificates });
        return;
      }
      if (certificates.length === 0) {
        deps.stdout.write(`No certificates in "${config.home}" yet; obtain one with "acme issue -d <name>"\n`);
        return;
      }
      deps.stdout.write(
        formatTable(
          ['NAME', 'DOMAINS', 'SERIAL', 'NOT AFTER', 'DAYS LEFT', 'KEY'],
          certificates.map((c) => [c.name, c.domains.join(','), c.serial, c.notAfter, String(c.daysLeft), c.keyType]),
        ),
      );
    }),
  );
}
