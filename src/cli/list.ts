import { dirname } from 'node:path';
import type { Command } from 'commander';
import {
  listCertificates,
  listManualCertificates,
  type CertificateSummary,
  type ManualCertificateSummary,
} from '../issuance';
import type { Logger } from '../log';
import { readManualCertificates } from '../manual';
import type { CertificateStore } from '../storage';
import { adoptLegoHome } from '../migration';
import { adoptionDeps, type AdoptContext } from './_adopt';
import type { CliDeps } from './_context';
import { addConfigOptions } from './_options';
import { formatTable, writeJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  $ acme list
  $ acme list --haproxy-socket /run/haproxy/admin.sock     # also: does HAProxy serve the stored serial?
  $ acme list --json | jq '.certificates[] | select(.daysLeft < 20) | .name'
  $ acme list --json | jq '.certificates[] | select(.lastError != null) | {name, lastError}'
  $ acme list --json | jq '.certificates[] | select(.kind == "manual") | {name, notAfter, problem}'
`;

/** Registers `acme list`. */
export function registerListCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('list')
    .description(
      'show the stored certificates: names, serial, expiry, key type, profile, next renewal and why, last error, and what each HAProxy serves; and the manual certificates put into <home>/haproxy/ by hand',
    )
    .addHelpText('after', EXAMPLES);
  addConfigOptions(command);
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const services = deps.createServices(config, logger);
      const { store, bundles, deployState, node, haproxyEndpoints, renewalState } = services;
      const certificates = await listCertificates({
        store,
        bundles,
        clock: deps.clock,
        endpoints: haproxyEndpoints,
        deployState,
        node,
        renewalState,
      });
      const lego = await legoNotAdopted({ config, logger, services, clock: deps.clock });
      const manual = await manualCertificates({ home: config.home, store, clock: deps.clock, logger });
      if (config.output.json) {
        const listed = [...certificates.map((c) => ({ ...c, kind: 'acme' as const })), ...manual];
        await writeJson(deps.stdout, { ok: true, certificates: listed, ...(lego === undefined ? {} : { lego }) });
        return;
      }
      const legoLines = describeLego(lego, certificates);
      const manualLines = describeManual(manual);
      if (certificates.length === 0) {
        deps.stdout.write(
          `No certificates in "${config.home}" yet; obtain one with "acme issue -d <name>"\n${legoLines}${manualLines}`,
        );
        return;
      }
      const withHaproxy = haproxyEndpoints.length > 0;
      const headers = [
        'NAME',
        'DOMAINS',
        'SERIAL',
        'NOT AFTER',
        'DAYS LEFT',
        'KEY',
        'PROFILE',
        'NEXT RENEWAL',
        ...(withHaproxy ? ['HAPROXY'] : []),
      ];
      deps.stdout.write(
        formatTable(
          headers,
          certificates.map((c) => [
            c.name,
            c.domains.join(','),
            c.serial,
            c.notAfter,
            String(c.daysLeft),
            c.keyType,
            c.profile ?? '-',
            describeNextRenewal(c),
            ...(withHaproxy ? [describeEndpoints(c)] : []),
          ]),
        ),
      );
      deps.stdout.write(describeNodes(certificates));
      deps.stdout.write(legoLines);
      deps.stdout.write(manualLines);
    }),
  );
}

/** The manual certificates of `<home>/haproxy/`; none, with a warning, when the directory cannot be listed (the stored ones are still listed). */
async function manualCertificates(context: {
  home: string;
  store: Pick<CertificateStore, 'listCertificateNames'>;
  clock: CliDeps['clock'];
  logger: Logger;
}): Promise<ManualCertificateSummary[]> {
  try {
    return await listManualCertificates({
      clock: context.clock,
      readManualCertificates: async () =>
        readManualCertificates(context.home, { names: await context.store.listCertificateNames() }),
    });
  } catch (error) {
    context.logger.warn('Cannot list the manual certificates; run "acme doctor" for the fix', {
      error: error instanceof Error ? error.message : String(error),
    });
    return [];
  }
}

/** The table of manual certificates under a line that says what they are; '' when there are none. */
function describeManual(manual: ManualCertificateSummary[]): string {
  if (manual.length === 0) return '';
  const rows = manual.map((c) => [
    c.name,
    c.domains.join(',') || '-',
    c.serial ?? '-',
    c.notAfter ?? '-',
    c.daysLeft === null ? '-' : String(c.daysLeft),
    c.keyPath === null ? '-' : c.keyPath === c.bundlePath ? 'in file' : `${c.name}.key`,
    c.problem === null ? 'ok' : `NOT SERVED: ${c.problem.replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS)}`,
  ]);
  const dir = dirname(manual[0]!.bundlePath);
  return `\nManual certificates in "${dir}" (served as they are, never renewed: to renew one, replace its files and restart HAProxy):\n${formatTable(['MANUAL', 'DOMAINS', 'SERIAL', 'NOT AFTER', 'DAYS LEFT', 'KEY', 'STATUS'], rows)}`;
}

/** What `acme list` says of lego's files in --home: only present when --home holds them. */
interface LegoListing {
  /** lego's account of --directory, when it is not adopted yet (its account URL). */
  accountNotAdopted: string | null;
  /** lego certificates the next state-changing command adopts. */
  notAdopted: Array<{
    legoName: string;
    name: string | null;
    serial: string | null;
    notAfter: string | null;
    detail: string;
  }>;
}

/** lego's account and certificates in --home that are not adopted yet, read without writing (a dry-run adoption); undefined without lego files. */
async function legoNotAdopted(context: AdoptContext): Promise<LegoListing | undefined> {
  const report = await adoptLegoHome(context.config.home, adoptionDeps(context), {
    dryRun: true,
    ...(context.config.email === undefined ? {} : { email: context.config.email }),
  });
  if (!report.present) return undefined;
  return {
    accountNotAdopted: report.account?.outcome === 'imported' ? (report.account.accountUrl ?? null) : null,
    notAdopted: report.certificates
      .filter((c) => c.outcome === 'imported')
      .map((c) => ({
        legoName: c.legoName,
        name: c.name ?? null,
        serial: c.serial ?? null,
        notAfter: c.notAfter ?? null,
        detail: c.detail,
      })),
  };
}

/** Lines under the table: which certificates came from lego, and what lego holds that is not adopted yet. */
function describeLego(lego: LegoListing | undefined, certificates: CertificateSummary[]): string {
  const adopted = certificates.filter((c) => c.adoptedFrom !== null).map((c) => c.name);
  const lines = adopted.length === 0 ? [] : [`Adopted from lego: ${adopted.join(', ')}`];
  const fix = 'the next "acme renew" (or "acme import lego") adopts it, with no new order';
  if (lego?.accountNotAdopted !== null && lego?.accountNotAdopted !== undefined)
    lines.push(`lego account not adopted yet: ${lego.accountNotAdopted}; ${fix}`);
  for (const c of lego?.notAdopted ?? [])
    lines.push(
      `lego certificate not adopted yet: "${c.legoName}" (serial ${c.serial ?? '?'}, valid to ${c.notAfter ?? '?'}); ${fix}`,
    );
  return lines.map((line) => `${line}\n`).join('');
}

/** Longest last-error text in the table; `--json` has all of it. */
const MAX_ERROR_CHARS = 80;

/** `2026-12-20 (lifetime)`, `now (ari-window)`, or `backing off until 2026-11-27 00:10Z (last error: …)`. */
function describeNextRenewal(certificate: Pick<CertificateSummary, 'nextRenewal' | 'lastError'>): string {
  const { at, due, reason } = certificate.nextRenewal;
  if (due) return `now (${reason})`;
  if (reason !== 'backoff') return `${at.slice(0, 10)} (${reason})`;
  // One line per certificate: an error that spans lines (a CA's detail) is folded.
  const message = (certificate.lastError?.message ?? '').replace(/\s+/g, ' ').trim();
  const shown = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message;
  return `backing off until ${at.slice(0, 10)} ${at.slice(11, 16)}Z (last error: ${shown})`;
}

/**
 * What each node recorded deploying, this node first, under the table; '' when no node other than
 * this one recorded anything (one node: the HAPROXY column says it all).
 */
function describeNodes(certificates: CertificateSummary[]): string {
  if (!certificates.some((c) => c.nodes.some((n) => !n.thisNode))) return '';
  const rows = certificates.flatMap((c) =>
    c.nodes.flatMap((n) =>
      n.endpoints.map((e) => [
        c.name,
        n.thisNode ? `${n.node} (this node)` : n.node,
        e.endpoint,
        e.status === 'pending' ? 'pending' : 'deployed',
        e.serial,
        e.serial === c.serial ? 'yes' : 'no',
        e.at,
      ]),
    ),
  );
  return `\nDeployed by node (as each recorded it; CURRENT: the stored serial):\n${formatTable(['NAME', 'NODE', 'ENDPOINT', 'STATUS', 'SERIAL', 'CURRENT', 'AT'], rows)}`;
}

/** "serving" per endpoint, or what is wrong: an old serial, unknown, pending, unreachable. */
function describeEndpoints(certificate: CertificateSummary): string {
  return certificate.endpoints
    .map((e) => {
      const state = e.current
        ? 'serving'
        : e.servedSerial !== null
          ? `old serial ${e.servedSerial}`
          : e.error !== null && !e.pendingDeploy
            ? 'unreachable'
            : 'not loaded';
      return `${e.endpoint}: ${state}${e.pendingDeploy ? ' (deploy pending)' : ''}`;
    })
    .join('; ');
}
