import type { Clock } from '../clock';
import { accountKeyThumbprint } from '../acme';
import { AppError, ConfigError, messageOf } from '../errors';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from '../issuance';
import type { Logger } from '../log';
import { shouldRenew } from '../renewal';
import type { CertificateStore, RenewalStateStore } from '../storage';
import type { LegoSnapshot } from './_legoFiles';
import { describeValue } from './_text';
import { planLegoImport, type LegoImportPlan, type PlannedAccount, type PlannedCertificate } from './planLegoImport';

/** Adapters importLego drives; the caller MUST hold the home lock unless `dryRun`. */
export interface LegoImportDeps {
  /** The CA of --home's account and certificates (`--directory`). */
  directoryUrl: string;
  store: CertificateStore;
  renewalState: RenewalStateStore;
  /** Where imported certificates go; `endpoints` may be empty (bundles are only written). */
  deploy: Pick<DeployDeps, 'deployState' | 'endpoints' | 'crtList' | 'fallback'>;
  clock: Clock;
  logger: Logger;
}

/** Options of importLego(). */
export interface LegoImportOptions {
  /** Lego account folder to adopt. Default: the only one of the CA, else the first valid one in sorted order. */
  email?: string;
  /** Report what would be imported; write and deploy nothing. Default: false. */
  dryRun?: boolean;
}

/** What happened to the lego account. Never the key. */
export interface AccountImport {
  outcome: 'imported' | 'already-imported' | 'kept-existing' | 'none';
  /** The lego folder, e.g. `accounts/acme-v02.api.letsencrypt.org/admin@example.com`. */
  lego?: string;
  chosenBy?: PlannedAccount['chosenBy'];
  accountUrl?: string;
  email?: string;
  keyType?: string;
  /** RFC 7638 thumbprint of the lego account key. */
  keyThumbprint?: string;
  /** Other account folders of this CA, not imported. */
  others: string[];
  detail: string;
}

/** What happened to one lego certificate. Never the key. */
export interface CertificateImport {
  /** Our certificate name; undefined when the lego certificate was skipped before it had one. */
  name?: string;
  legoName: string;
  outcome: 'imported' | 'already-imported' | 'skipped' | 'failed';
  serial?: string;
  notAfter?: string;
  domains?: string[];
  keyType?: string;
  /** When the renewal policy makes it due (lifetime rule; ARI may move it), or `now` when it already is. */
  renewalDueAt?: string;
  deploy?: EndpointOutcome[];
  detail: string;
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
  const more = plan.problems.length > MAX_PROBLEMS_SHOWN ? `; and ${plan.problems.length - MAX_PROBLEMS_SHOWN} more` : '';
  const count = plan.problems.length === 1 ? '1 file is' : `${plan.problems.length} files are`;
  return new ConfigError(`Cannot import lego directory "${snapshot.root}": ${count} invalid, nothing was imported: ${shown.join('; ')}${more}; fix or move them aside and run again`, {
    source: '--path',
  });
}

async function importAccount(plan: LegoImportPlan, deps: LegoImportDeps, dryRun: boolean): Promise<AccountImport> {
  const planned = plan.account;
  if (planned === undefined) return { outcome: 'none', others: [], detail: `${plan.accountNote ?? 'no lego account was chosen'}; the first renewal registers a new account` };
  const { account } = planned;
  const facts = {
    lego: `accounts/${account.server}/${account.folder}`,
    chosenBy: planned.chosenBy,
    accountUrl: account.accountUrl,
    ...(account.email === undefined ? {} : { email: account.email }),
    keyType: account.keyType,
    keyThumbprint: accountKeyThumbprint(account.keyPem),
    others: planned.others,
  };
  const existing = await deps.store.loadAccount(deps.directoryUrl);
  if (existing !== undefined) {
    if (existing.accountUrl === account.accountUrl && accountKeyThumbprint(existing.keyPem) === facts.keyThumbprint) {
      return { outcome: 'already-imported', ...facts, detail: 'already imported: --home uses this account' };
    }
    return { outcome: 'kept-existing', ...facts, detail: `--home already has account "${existing.accountUrl}" for this CA; kept it and left the lego account alone` };
  }
  if (!dryRun) {
    await deps.store.saveAccount({ directoryUrl: deps.directoryUrl, accountUrl: account.accountUrl, ...(account.email === undefined ? {} : { email: account.email }), keyPem: account.keyPem, createdAt: deps.clock.now().toISOString() });
    deps.logger.info('Imported the lego account', { accountUrl: account.accountUrl, lego: facts.lego });
  }
  return { outcome: 'imported', ...facts, detail: dryRun ? 'would be imported (dry run)' : 'imported: renewals use this account, no new registration' };
}

function renewalDueAt(planned: PlannedCertificate, now: Date): string {
  const { certificate, domains } = planned;
  const facts = { notBefore: certificate.notBefore, notAfter: certificate.notAfter, domains, keyType: certificate.keyType };
  const decision = shouldRenew({ certificate: facts, desired: facts, now, nextCheckAt: now });
  return decision.due ? now.toISOString() : decision.notBefore.toISOString();
}

async function importCertificate(planned: PlannedCertificate, deps: LegoImportDeps, dryRun: boolean): Promise<CertificateImport> {
  const { certificate, name, domains } = planned;
  const now = deps.clock.now();
  const base = { name, legoName: certificate.legoName, serial: certificate.serial, notAfter: certificate.notAfter.toISOString(), domains, keyType: certificate.keyType };
  try {
    const existing = await deps.store.loadCertificate(name);
    if (existing?.meta.serial === certificate.serial) return { ...base, outcome: 'already-imported', detail: 'already imported: --home holds this certificate' };
    if (existing !== undefined && new Date(existing.meta.notAfter).getTime() >= certificate.notAfter.getTime()) {
      return { ...base, outcome: 'skipped', detail: `--home has a newer certificate "${name}" (serial ${existing.meta.serial}, valid to ${existing.meta.notAfter}); kept it` };
    }
    const dueAt = renewalDueAt(planned, now);
    if (dryRun) return { ...base, outcome: 'imported', renewalDueAt: dueAt, detail: existing === undefined ? 'would be imported (dry run)' : `would replace the older certificate in --home (serial ${existing.meta.serial}) (dry run)` };
    await deps.store.saveCertificate({
      name,
      certPem: certificate.certPem,
      chainPem: certificate.chainPem,
      keyPem: certificate.keyPem,
      meta: { domains, directoryUrl: deps.directoryUrl, issuedAt: certificate.notBefore.toISOString() },
    });
    // A fresh state: no failure backoff or ARI window of an older certificate carries over.
    await deps.renewalState.save(name, {});
    deps.logger.info('Imported a lego certificate', { certificate: name, serial: certificate.serial, legoName: certificate.legoName });
    const deploy = deps.deploy.endpoints.length === 0 ? undefined : await deployCertificate(name, { ...deps.deploy, store: deps.store, clock: deps.clock, logger: deps.logger });
    return { ...base, outcome: 'imported', renewalDueAt: dueAt, ...(deploy === undefined ? {} : { deploy }), detail: existing === undefined ? 'imported' : `imported, replacing the older certificate (serial ${existing.meta.serial})` };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    deps.logger.error('Cannot import a lego certificate', { certificate: name, error: messageOf(error) });
    return { ...base, outcome: 'failed', detail: messageOf(error) };
  }
}

/**
 * Adopts a lego directory into --home: validates every file first (any invalid file: ConfigError,
 * nothing written), then the lego account of `directoryUrl` becomes --home's account unless it
 * already has one, and each valid certificate becomes a stored certificate with its bundle, a fresh
 * renewal state, and is deployed to every endpoint. Idempotent: what --home already holds is
 * reported `already-imported`; a newer certificate in --home is kept. Never orders a certificate.
 * @throws ConfigError when the lego directory has an invalid file or nothing to import; StorageError when --home's account cannot be read or written
 */
export async function importLego(snapshot: LegoSnapshot, deps: LegoImportDeps, options: LegoImportOptions = {}): Promise<LegoImportReport> {
  const dryRun = options.dryRun === true;
  const plan = planLegoImport(snapshot, { directoryUrl: deps.directoryUrl, now: deps.clock.now(), ...(options.email === undefined ? {} : { email: options.email }) });
  if (plan.problems.length > 0) throw invalidDirectory(snapshot, plan);
  if (plan.account === undefined && plan.certificates.length === 0 && plan.skipped.length === 0) {
    throw new ConfigError(`Cannot import lego directory "${snapshot.root}": nothing to import: ${plan.accountNote ?? 'no account'} and no certificates`, { source: '--path' });
  }
  const account = await importAccount(plan, deps, dryRun);
  const certificates: CertificateImport[] = [];
  for (const planned of plan.certificates) certificates.push(await importCertificate(planned, deps, dryRun));
  for (const skipped of plan.skipped) {
    certificates.push({ legoName: skipped.legoName, outcome: 'skipped', ...(skipped.serial === undefined ? {} : { serial: skipped.serial }), detail: skipped.reason });
  }
  const failed = certificates.some((c) => c.outcome === 'failed' || (c.deploy ?? []).some((d) => d.outcome === 'pending'));
  return { path: snapshot.root, directoryUrl: deps.directoryUrl, dryRun, account, certificates, otherServers: plan.otherServers, ignored: snapshot.ignored, failed };
}
