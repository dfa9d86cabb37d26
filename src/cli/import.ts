import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import {
  adoptLegoHome,
  hasLegoLayout,
  importLego,
  type AccountImport,
  type CertificateImport,
  type LegoAdoptionReport,
  type LegoImportReport,
} from '../migration';
import { adoptionDeps } from './_adopt';
import type { CliDeps, Services } from './_context';
import type { Logger } from '../log';
import { formatOutcomes } from './_deployOutput';
import { EXIT_FAILED, EXIT_OK } from './_errors';
import { withHomeLock } from './_lock';
import { addConfigOptions } from './_options';
import { formatTable, printJson } from './_output';
import { runAction } from './_run';

const LEGO_EXAMPLES = `
Examples:
  # The reference deployment (lego --path $SNAP_COMMON/acme): see what would be imported, then import
  $ acme import lego --path /var/snap/immich-distribution/common/lego --dry-run
  $ acme import lego --path /var/snap/immich-distribution/common/lego \\
      --haproxy-socket /run/haproxy/admin.sock --haproxy-crt-list /etc/haproxy/crt-list.txt

  # Several lego accounts for the CA: pick one by its email
  $ acme import lego --path ~/.lego --email admin@example.com --json

  # lego ran with --path set to this very --home: adopt its files where they are
  $ acme import lego --dry-run
  $ acme import lego --haproxy-socket /run/haproxy/admin.sock --haproxy-crt-list /etc/haproxy/crt-list.txt

Adopts the lego account of --directory (key and account URL: renewals need no new registration) and
every valid, unexpired certificate lego holds for that CA: stored with its HAProxy bundle, renewed by
"acme renew" when due, and deployed when --haproxy-socket is given. Nothing is ordered. Every lego
file is checked first; one invalid file means nothing is written (exit 2). Running it again changes
nothing. Wildcard certificates (HTTP-01 cannot renew them) and certificates of other CAs are skipped.
Without --path, adopts lego's files in --home itself (lego's --path was --home), leaving every lego
file as it is; "acme issue", "acme renew" and "acme deploy" do the same first. See docs/migration-lego.md.
`;

const OUTCOME_TEXT: Record<CertificateImport['outcome'], string> = {
  imported: 'imported',
  'already-imported': 'already imported',
  skipped: 'skipped',
  failed: 'FAILED',
};

/** Refuses a lego directory that is --home, or inside it, or holds it: their files would mix. @throws ConfigError */
function assertSeparate(legoPath: string, home: string): void {
  const inside = (child: string, parent: string): boolean => {
    const path = relative(parent, child);
    return path === '' || (!path.startsWith('..') && !path.startsWith('/'));
  };
  if (inside(legoPath, home) || inside(home, legoPath)) {
    throw new ConfigError(
      `Cannot import lego directory "${legoPath}": it overlaps --home "${home}", and their files would mix; move the lego directory aside first (e.g. "mv ${legoPath} ${legoPath}.lego") and pass the new path, or, when lego's --path was --home itself, run "acme import lego" without --path to adopt its files in place`,
      { source: '--path' },
    );
  }
}

function describeAccount(account: AccountImport): string {
  if (account.outcome === 'none') return `Account: none imported: ${account.detail}\n`;
  const who = [account.email, account.keyType, `from ${account.lego ?? '?'}`]
    .filter((part) => part !== undefined)
    .join(', ');
  const chosen =
    account.chosenBy === 'first'
      ? `; chosen as the first of several (others: ${account.others.join(', ')}; pick one with --email)`
      : '';
  return `Account: "${account.accountUrl ?? '?'}" (${who}): ${account.detail}${chosen}\n`;
}

function formatReport(report: LegoImportReport, config: Config): string {
  const lines = [
    `${report.dryRun ? 'Dry run: nothing written. ' : ''}lego directory "${report.path}" into --home "${config.home}" for "${report.directoryUrl}"\n`,
    describeAccount(report.account),
  ];
  if (report.certificates.length === 0) lines.push('No certificates in the lego directory\n');
  else {
    lines.push(
      formatTable(
        ['NAME', 'LEGO NAME', 'RESULT', 'SERIAL', 'NOT AFTER', 'RENEWAL DUE', 'DETAIL'],
        report.certificates.map((c) => [
          c.name ?? '-',
          c.legoName,
          OUTCOME_TEXT[c.outcome],
          c.serial ?? '-',
          c.notAfter ?? '-',
          c.renewalDueAt ?? '-',
          c.detail,
        ]),
      ),
    );
  }
  for (const certificate of report.certificates)
    lines.push(formatOutcomes(certificate.name ?? certificate.legoName, certificate.deploy ?? []));
  if (report.otherServers.length > 0)
    lines.push(`Not imported: lego accounts of other CAs (${report.otherServers.join(', ')})\n`);
  return lines.join('');
}

function registerLego(group: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = group
    .command('lego')
    .description("adopt a lego directory's account and certificates (no new registration, no re-issue), idempotently")
    .option(
      '--path <dir>',
      "the lego directory: what lego's --path pointed at (holds accounts/ and certificates/); default: --home itself, adopted in place",
    )
    .option(
      '--email <address>',
      'the lego account to adopt, by its email (default: the only one of --directory, else the first in sorted order) (env ACME_EMAIL)',
    )
    .option('--dry-run', 'show what would be imported; write and deploy nothing')
    .addHelpText('after', LEGO_EXAMPLES);
  addConfigOptions(command, { own: ['email'] });
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      if (options.path === undefined)
        return adoptInPlace(
          deps,
          { config, logger, services: deps.createServices(config, logger) },
          options.dryRun === true,
        );
      const legoPath = resolve(deps.cwd, String(options.path));
      assertSeparate(legoPath, config.home);
      const services = deps.createServices(config, logger);
      const snapshot = await services.legoReader.read(legoPath);
      const dryRun = options.dryRun === true;
      const run = (): Promise<LegoImportReport> =>
        importLego(
          snapshot,
          {
            directoryUrl: config.directoryUrl,
            store: services.store,
            bundles: services.bundles,
            renewalState: services.renewalState,
            deploy: {
              deployState: services.deployState,
              node: services.node,
              endpoints: services.haproxyEndpoints,
              crtList: services.crtList,
              fallback: services.fallback,
            },
            clock: deps.clock,
            logger,
          },
          { dryRun, ...(config.email === undefined ? {} : { email: config.email }) },
        );
      // A dry run only reads --home, like "acme list": no lock to wait for.
      const report = dryRun
        ? await run()
        : await withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger }, run);
      return printReport(deps, config, report);
    }),
  );
}

function printReport(
  deps: CliDeps,
  config: Config,
  report: LegoImportReport & { problems?: LegoAdoptionReport['problems'] },
): number {
  if (config.output.json) printJson(deps.stdout, { ok: !report.failed, import: report });
  else {
    deps.stdout.write(formatReport(report, config));
    for (const problem of report.problems ?? [])
      deps.stdout.write(`Not adopted, left alone: "${problem.file}": ${problem.message}\n`);
  }
  if (report.failed)
    deps.stderr.write(
      'Error: Some lego certificates were not imported or not deployed; see the table above, fix the cause and run the same command again\n',
    );
  return report.failed ? EXIT_FAILED : EXIT_OK;
}

/**
 * `acme import lego` without --path: adopts lego's files in --home itself (adoptLegoHome), under
 * the lock unless `dryRun`.
 * @throws ConfigError when --home holds no lego files
 */
async function adoptInPlace(
  deps: CliDeps,
  context: { config: Config; logger: Logger; services: Services },
  dryRun: boolean,
): Promise<number> {
  const { config, logger, services } = context;
  if (!(await hasLegoLayout(config.home))) {
    throw new ConfigError(
      `Missing --path: --home "${config.home}" holds no lego files to adopt in place; pass the directory lego's --path pointed at`,
      { source: '--path' },
    );
  }
  const run = (): Promise<LegoAdoptionReport> =>
    adoptLegoHome(config.home, adoptionDeps({ ...context, clock: deps.clock }), {
      dryRun,
      ...(config.email === undefined ? {} : { email: config.email }),
    });
  const adoption = dryRun
    ? await run()
    : await withHomeLock(services, { timeoutMs: config.lockTimeoutMs, logger }, run);
  const { home, present: _present, changed: _changed, account, ...rest } = adoption;
  return printReport(deps, config, {
    path: home,
    ...rest,
    account: account ?? { outcome: 'none', others: [], detail: 'no lego account' },
    ignored: [],
  });
}

/** Registers `acme import lego`. */
export function registerImportCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const group = program.command('import').description('migrate from another ACME client into --home (lego)');
  registerLego(group, deps, setExitCode);
}
