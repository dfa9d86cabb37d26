import type { Command } from 'commander';
import { listCertificates, type CertificateSummary } from '../issuance';
import type { CliDeps } from './_context';
import { addCommonOptions, addHaproxyOptions } from './_options';
import { formatTable, printJson } from './_output';
import { runAction } from './_run';

const EXAMPLES = `
Examples:
  $ acme list
  $ acme list --haproxy-socket /run/haproxy/admin.sock     # also: does HAProxy serve the stored serial?
  $ acme list --json | jq '.certificates[] | select(.daysLeft < 20) | .name'
  $ acme list --json | jq '.certificates[] | select(.lastError != null) | {name, lastError}'
`;

/** Registers `acme list`. */
export function registerListCommand(program: Command, deps: CliDeps, setExitCode: (code: number) => void): void {
  const command = program
    .command('list')
    .description('show the stored certificates: names, serial, expiry, key type, profile, next renewal and why, last error, and what each HAProxy serves')
    .addHelpText('after', EXAMPLES);
  addHaproxyOptions(addCommonOptions(command));
  command.action((options: Record<string, unknown>) =>
    runAction(deps, options, setExitCode, async ({ config, logger }) => {
      const { store, deployState, haproxyEndpoints, renewalState } = deps.createServices(config, logger);
      const certificates = await listCertificates({ store, clock: deps.clock, endpoints: haproxyEndpoints, deployState, renewalState });
      if (config.output.json) {
        printJson(deps.stdout, { ok: true, certificates });
        return;
      }
      if (certificates.length === 0) {
        deps.stdout.write(`No certificates in "${config.home}" yet; obtain one with "acme issue -d <name>"\n`);
        return;
      }
      const withHaproxy = haproxyEndpoints.length > 0;
      const headers = ['NAME', 'DOMAINS', 'SERIAL', 'NOT AFTER', 'DAYS LEFT', 'KEY', 'PROFILE', 'NEXT RENEWAL', ...(withHaproxy ? ['HAPROXY'] : [])];
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
    }),
  );
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
