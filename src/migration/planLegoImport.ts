import { CERTIFICATE_KEY_TYPES } from '../acme';
import { normaliseDomain } from '../config';
import { AppError } from '../errors';
import { sanitiseName } from '../storage';
import { isLegoServerFolderOf, serverOfUrl, type LegoProblem, type LegoSnapshot } from './_legoFiles';
import { parseLegoAccount, type LegoAccount } from './_parseAccount';
import { parseLegoCertificate, type LegoCertificate } from './_parseCertificate';
import { describeValue } from './_text';

/** Options of planLegoImport(). */
export interface PlanLegoImportOptions {
  /** The CA haproxy-acme will use (`--directory`): only its lego account is adopted. */
  directoryUrl: string;
  /** Certificates that expired by then are skipped. */
  now: Date;
  /** Picks the lego account folder with this email. Default: the only one, else the first valid one in sorted order. */
  email?: string;
}

/** The lego account chosen for --directory, and how. */
export interface PlannedAccount {
  account: LegoAccount;
  /** `email` (asked for), `only` (the one account of this CA), `first` (several: the first in sorted order). */
  chosenBy: 'email' | 'only' | 'first';
  /** The other account folders of this CA, not imported. */
  others: string[];
}

/** A lego certificate that will become a certificate in --home. */
export interface PlannedCertificate {
  certificate: LegoCertificate;
  /** Our certificate name (sanitised lego name), e.g. `photos.example.com`. */
  name: string;
  /** Canonical names from its subjectAltName, lego's name first: what renewals will order. */
  domains: string[];
}

/** A lego certificate left alone, and why. */
export interface SkippedCertificate {
  legoName: string;
  /** Upper-case hex, when the certificate was read. */
  serial?: string;
  reason: string;
}

/** What a lego directory holds for --directory, validated; nothing is read or written here. */
export interface LegoImportPlan {
  account: PlannedAccount | undefined;
  /** Why no account is adopted, when none is. */
  accountNote?: string;
  certificates: PlannedCertificate[];
  skipped: SkippedCertificate[];
  /** Server folders of other CAs (e.g. the staging one), not imported. */
  otherServers: string[];
  /** Every invalid file; the import MUST NOT write anything when this is not empty. */
  problems: LegoProblem[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function chooseAccount(
  snapshot: LegoSnapshot,
  options: PlanLegoImportOptions,
): Pick<LegoImportPlan, 'account' | 'accountNote' | 'otherServers' | 'problems'> {
  const matching = snapshot.accounts
    .filter((a) => isLegoServerFolderOf(a.server, options.directoryUrl))
    .sort((a, b) => byString(a.folder, b.folder));
  const otherServers = [...new Set(snapshot.accounts.filter((a) => !matching.includes(a)).map((a) => a.server))].sort(
    byString,
  );
  const server = serverOfUrl(options.directoryUrl);
  if (options.email !== undefined) {
    const wanted = options.email.toLowerCase();
    const files = matching.find((a) => a.folder.toLowerCase() === wanted);
    if (files === undefined) {
      const found = matching.map((a) => `"${a.folder}"`).join(', ') || 'none';
      const problem = {
        file: 'accounts',
        message: `there is no lego account ${describeValue(options.email)} for "${server ?? options.directoryUrl}" (accounts of this CA: ${found})`,
      };
      return { account: undefined, otherServers, problems: [problem] };
    }
    const parsed = parseLegoAccount(files, { directoryServer: server });
    if (!parsed.ok) return { account: undefined, otherServers, problems: parsed.problems };
    return {
      account: {
        account: parsed.account,
        chosenBy: 'email',
        others: matching.filter((a) => a !== files).map((a) => a.folder),
      },
      otherServers,
      problems: [],
    };
  }
  if (matching.length === 0) {
    const note = `the lego directory has no account for "${server ?? options.directoryUrl}"${otherServers.length > 0 ? ` (only for ${otherServers.map((s) => `"${s}"`).join(', ')})` : ''}`;
    return { account: undefined, accountNote: note, otherServers, problems: [] };
  }
  const results = matching.map((files) => ({ files, parsed: parseLegoAccount(files, { directoryServer: server }) }));
  const chosen = results.find((r) => r.parsed.ok);
  if (chosen === undefined || !chosen.parsed.ok)
    return {
      account: undefined,
      otherServers,
      problems: results.flatMap((r) => (r.parsed.ok ? [] : r.parsed.problems)),
    };
  const others = matching.filter((a) => a !== chosen.files).map((a) => a.folder);
  return {
    account: { account: chosen.parsed.account, chosenBy: matching.length === 1 ? 'only' : 'first', others },
    otherServers,
    problems: [],
  };
}

/** The names in canonical form, or why HTTP-01 cannot renew them. */
function renewableDomains(names: string[]): { reason: string } | { domains: string[] } {
  const wildcard = names.find((name) => name.startsWith('*'));
  if (wildcard !== undefined) {
    return {
      reason: `it has the wildcard name ${describeValue(wildcard)}, which HTTP-01 cannot validate; keep renewing it with lego (DNS-01)`,
    };
  }
  const domains: string[] = [];
  for (const name of names) {
    try {
      domains.push(normaliseDomain(name));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return { reason: `it cannot be renewed over HTTP-01: ${error.message}; keep renewing it with lego` };
    }
  }
  return { domains: [...new Set(domains)] };
}

/** Why a valid lego certificate is not imported, or its canonical domains when it is. */
function screen(
  certificate: LegoCertificate,
  options: PlanLegoImportOptions,
): { reason: string } | { name: string; domains: string[] } {
  const issuedBy = certificate.certUrl === undefined ? undefined : serverOfUrl(certificate.certUrl);
  const ours = serverOfUrl(options.directoryUrl);
  if (issuedBy !== undefined && issuedBy !== ours)
    return { reason: `it was issued through "${issuedBy}", not through --directory "${options.directoryUrl}"` };
  if (certificate.notAfter.getTime() <= options.now.getTime()) {
    return {
      reason: `it expired on ${certificate.notAfter.toISOString()}; run "acme issue -d ${certificate.names[0] ?? certificate.legoName}" for a new one`,
    };
  }
  if (!(CERTIFICATE_KEY_TYPES as readonly string[]).includes(certificate.keyType)) {
    return {
      reason: `its key type "${certificate.keyType}" is not one haproxy-acme renews with (${CERTIFICATE_KEY_TYPES.join(', ')}); keep renewing it with lego`,
    };
  }
  const domains = renewableDomains(certificate.names);
  if ('reason' in domains) return domains;
  try {
    return { name: sanitiseName(certificate.legoName), domains: domains.domains };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { reason: error.message };
  }
}

/**
 * Validates a lego directory snapshot and decides what to import for `directoryUrl` (pure): the
 * account of that CA (by `email`, or deterministically), and every certificate that is valid,
 * unexpired, issued by that CA, renewable over HTTP-01 with a key type we generate. Never throws
 * for bad content: invalid files are in `problems`, each naming its file.
 */
export function planLegoImport(snapshot: LegoSnapshot, options: PlanLegoImportOptions): LegoImportPlan {
  const accountPart = chooseAccount(snapshot, options);
  const problems = [...snapshot.problems, ...accountPart.problems];
  const planned = new Map<string, PlannedCertificate>();
  const skipped: SkippedCertificate[] = [];
  for (const files of [...snapshot.certificates].sort((a, b) => byString(a.base, b.base))) {
    const result = parseLegoCertificate(files);
    if (result.kind === 'invalid') problems.push(...result.problems);
    if (result.kind === 'no-key')
      skipped.push({
        legoName: result.legoName,
        reason: 'the lego directory has no private key for it (lego was given a CSR)',
      });
    if (result.kind !== 'ok') continue;
    const { certificate } = result;
    const outcome = screen(certificate, options);
    if ('reason' in outcome) {
      skipped.push({ legoName: certificate.legoName, serial: certificate.serial, reason: outcome.reason });
      continue;
    }
    const previous = planned.get(outcome.name);
    // Two lego names that sanitise alike ("Example.com", "example.com"): the later expiry wins.
    if (previous !== undefined && previous.certificate.notAfter.getTime() >= certificate.notAfter.getTime()) {
      skipped.push({
        legoName: certificate.legoName,
        serial: certificate.serial,
        reason: `"${previous.certificate.legoName}" has the same certificate name "${outcome.name}" and expires no earlier; kept that one`,
      });
      continue;
    }
    if (previous !== undefined) {
      skipped.push({
        legoName: previous.certificate.legoName,
        serial: previous.certificate.serial,
        reason: `"${certificate.legoName}" has the same certificate name "${outcome.name}" and expires later`,
      });
    }
    planned.set(outcome.name, { certificate, name: outcome.name, domains: outcome.domains });
  }
  return {
    account: accountPart.account,
    ...(accountPart.accountNote === undefined ? {} : { accountNote: accountPart.accountNote }),
    certificates: [...planned.values()].sort((a, b) => byString(a.name, b.name)),
    skipped,
    otherServers: accountPart.otherServers,
    problems,
  };
}
