import type { Command } from 'commander';
import { removeCertificate, type RemoveResult } from '../issuance';
import type { CliDeps } from './_context';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { withHomeLock } from './_lock';
import { addConfigOptions } from './_options';
import { printJson } from './_output';
import { runAction } from './_run';
import { requiredName } from './revoke';

const EXAMPLES = `
Examples:
  # Out of the running HAProxy, out of its crt-list file, files archived
  $ acme remove --name photos.example.com \\
      --haproxy-socket /run/haproxy/admin.sock --haproxy-crt-list /etc/haproxy/crt-list.txt

  # Revoke first when the certificate must not be trusted any more
  $ acme revoke --name photos.example.com --reason cessationOfOperation
  $ acme remove --name photos.example.com --haproxy-socket /run/haproxy/admin.sock --json

Order: each HAProxy drops it at runtime ("del ssl crt-list", "del ssl cert"), then the crt-list
file loses its line, then the files move to <home>/archive/<name>-<UTC time>/ (restore by moving
them back). If one HAProxy fails, nothing on disk changes and the command can be run again.
A certificate named directly by "crt <file>" on a bind line cannot be removed at runtime.
`;

function describe(result: RemoveResult, archiveDir: string | undefined): string {
  const lines = result.endpoints.map((e) => {
    if (e.outcome === 'failed') return `  ${e.endpoint}: FAILED: ${e.error ?? ''}`;
    if (e.outcome === 'not-loaded') return `  ${e.endpoint}: was not loaded`;
    return `  ${e.endpoint}: removed${e.removedFrom.length > 0 ? ` (from ${e.removedFrom.map((l) => `"${l}"`).join(', ')})` : ''}`;
  });
  if (!result.removed)
    return `Not removed "${result.name}": fix the HAProxy errors below and run the command again; nothing on disk changed\n${lines.join('\n')}\n`;
  return (
    [
      `Removed "${result.name}"`,
      ...lines,
      ...(result.crtListEntryRemoved ? ['  crt-list: line deleted'] : []),
      archiveDir === undefined ? '  files: none left to archive' : `  files: archived in "${archiveDir}"`,
    ].join('\n') + '\n'
  );
}

/** Registers `acme remove`. */
export function registerRemoveCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('remove')
    .description('take a certificate out of HAProxy and its crt-list, and archive its files under <home>/archive')
    .option('--name <name>', 'certificate to remove, as "acme list" shows it (required)')
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command, { own: ['name'] });
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger, signal }) => {
      const name = requiredName(options, config.name, 'remove');
      const services = deps.createServices(config, logger);
      const result = await withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger, signal }, () =>
        removeCertificate(
          name,
          {
            store: services.store,
            bundles: services.bundles,
            endpoints: services.haproxyEndpoints,
            crtList: services.crtList,
            locks: services.locks,
            lockTimeoutMs: config.lockTimeoutMs,
            logger,
          },
          { signal },
        ),
      );
      const archiveDir = result.archive === undefined ? undefined : services.archiveDir(result.archive.archiveId);
      if (config.output.json)
        printJson(deps.stdout, {
          ok: result.removed,
          ...result,
          archive: result.archive === undefined ? undefined : { ...result.archive, dir: archiveDir },
        });
      else deps.stdout.write(describe(result, archiveDir));
      if (!result.removed)
        deps.stderr.write(
          `Error: Cannot remove "${result.name}" from every HAProxy; nothing on disk changed, run "acme remove" again once they are reachable\n`,
        );
      return result.removed ? EXIT_OK : EXIT_FAILED;
    }),
  );
}
