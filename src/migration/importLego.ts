import { ConfigError } from '../errors';
import type { LegoSnapshot } from './_legoFiles';
import { describeValue } from './_text';
import { adoptPlan, type AccountImport, type CertificateImport, type LegoImportDeps } from './_adoptPlan';
import { planLegoImport, type LegoImportPlan } from './planLegoImport';

export type { AccountImport, CertificateImport, LegoImportDeps } from './_adoptPlan';

/** Options of importLego(). */
export interface LegoImportOptions {
  /** Lego account folder to adopt. Default: the only one of the CA, else the first valid one in sorted order. */
  email?: string;
  /** Report what would be imported; write and deploy nothing. Default: false. */
  dryRun?: boolean;
}

/** The whole import: what `acme import lego` prints. */
export interface LegoImportReport {
  path: string;
  directoryUrl: string;
  dryRun: boolean;
  account: AccountImport;
  certificates: CertificateImport[];
  /** Account server folders of other CAs, left alone. */
  otherServers: string[];
  /** Files of the lego directory that are not used (`.pem`, `.pfx`, unknown). */
  ignored: string[];
  /** True when a certificate failed to import or a deploy is pending: exit code 1. */
  failed: boolean;
}

const MAX_PROBLEMS_SHOWN = 20;

function invalidDirectory(snapshot: LegoSnapshot, plan: LegoImportPlan): ConfigError {
  const shown = plan.problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${describeValue(p.file)}: ${p.message}`);
  const more =
    plan.problems.length > MAX_PROBLEMS_SHOWN ? `; and ${plan.problems.length - MAX_PROBLEMS_SHOWN} more` : '';
  const count = plan.problems.length === 1 ? '1 file is' : `${plan.problems.length} files are`;
  return new ConfigError(
    `Cannot import lego directory "${snapshot.root}": ${count} invalid, nothing was imported: ${shown.join('; ')}${more}; fix or move them aside and run again`,
    {
      source: '--path',
    },
  );
}

/**
 * Adopts a lego directory into --home: validates every file first (any invalid file: ConfigError,
 * nothing written), then the lego account of `directoryUrl` becomes --home's account unless it
 * already has one, and each valid certificate becomes a stored certificate with its bundle, a fresh
 * renewal state, and is deployed to every endpoint. Idempotent: what --home already holds is
 * reported `already-imported`; a newer certificate in --home is kept. Never orders a certificate.
 * @throws ConfigError when the lego directory has an invalid file or nothing to import; StorageError when --home's account cannot be read or written
 */
export async function importLego(
  snapshot: LegoSnapshot,
  deps: LegoImportDeps,
  options: LegoImportOptions = {},
): Promise<LegoImportReport> {
  const dryRun = options.dryRun === true;
  const plan = planLegoImport(snapshot, {
    directoryUrl: deps.directoryUrl,
    now: deps.clock.now(),
    ...(options.email === undefined ? {} : { email: options.email }),
  });
  if (plan.problems.length > 0) throw invalidDirectory(snapshot, plan);
  if (plan.account === undefined && plan.certificates.length === 0 && plan.skipped.length === 0) {
    throw new ConfigError(
      `Cannot import lego directory "${snapshot.root}": nothing to import: ${plan.accountNote ?? 'no account'} and no certificates`,
      { source: '--path' },
    );
  }
  const { account, certificates } = await adoptPlan(plan, deps, { dryRun, rule: 'expires-later', deliverOwed: true });
  const failed = certificates.some(
    (c) => c.outcome === 'failed' || (c.deploy ?? []).some((d) => d.outcome === 'pending'),
  );
  return {
    path: snapshot.root,
    directoryUrl: deps.directoryUrl,
    dryRun,
    account,
    certificates,
    otherServers: plan.otherServers,
    ignored: snapshot.ignored,
    failed,
  };
}
