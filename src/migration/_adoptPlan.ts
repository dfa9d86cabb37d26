/**
 * What `acme import lego` and the in-place adoption share: turning a validated plan into --home's
 * account and certificates, through the existing stores, without any request to the CA.
 */
import type { Clock } from '../clock';
import { accountKeyThumbprint } from '../acme';
import { AppError, messageOf } from '../errors';
import { deployCertificate, type DeployDeps, type EndpointOutcome } from '../issuance';
import type { Logger } from '../log';
import { shouldRenew } from '../renewal';
import type { CertificateMeta, CertificateStore, LocalBundles, RenewalStateStore } from '../storage';
import type { LegoCertificate } from './_parseCertificate';
import type { LegoImportPlan, PlannedAccount, PlannedCertificate } from './planLegoImport';

/** Adapters importLego and adoptLegoHome drive; the caller MUST hold the home lock unless `dryRun`. */
export interface LegoImportDeps {
  /** The CA of --home's account and certificates (`--directory`). */
  directoryUrl: string;
  store: CertificateStore;
  /** This node's HAProxy bundles: each imported certificate's is written once it is stored. */
  bundles: LocalBundles;
  renewalState: RenewalStateStore;
  /** Where imported certificates go; `endpoints` may be empty (bundles are only written). */
  deploy: Pick<DeployDeps, 'deployState' | 'node' | 'endpoints' | 'crtList' | 'fallback'>;
  clock: Clock;
  logger: Logger;
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

/**
 * When a lego certificate replaces a different one stored under its name: `expires-later` (the
 * explicit import: the longer-lived one wins) or `issued-later` (the in-place adoption: lego renewed
 * after a revert, so its certificate is the newer one).
 */
export type ReplaceRule = 'expires-later' | 'issued-later';

/** What to do with a lego certificate, given the one stored under its name. */
export type LegoCertificateDecision =
  | { action: 'store'; replacing?: string }
  | { action: 'already-stored' }
  /** `detail` continues "--home has a newer certificate <name> …". */
  | { action: 'keep-stored'; detail: string };

/**
 * Decides (pure) whether a lego certificate is stored: it is when nothing is stored under its
 * name, or when it is newer than the stored one by `rule` and has another serial; the same serial
 * is already stored. Sample: stored serial `0A`, notBefore 2026-01-01; lego serial `0B`,
 * notBefore 2026-03-01, rule `issued-later` → `{ action: "store", replacing: "0A" }`.
 */
export function decideLegoCertificate(
  stored: Pick<CertificateMeta, 'serial' | 'notBefore' | 'notAfter'> | undefined,
  lego: Pick<LegoCertificate, 'serial' | 'notBefore' | 'notAfter'>,
  rule: ReplaceRule,
): LegoCertificateDecision {
  if (stored === undefined) return { action: 'store' };
  if (stored.serial === lego.serial) return { action: 'already-stored' };
  const newer =
    rule === 'issued-later'
      ? lego.notBefore.getTime() > Date.parse(stored.notBefore)
      : lego.notAfter.getTime() > Date.parse(stored.notAfter);
  if (newer) return { action: 'store', replacing: stored.serial };
  const what =
    rule === 'issued-later' ? `issued ${stored.notBefore}, no earlier than lego's` : `valid to ${stored.notAfter}`;
  return { action: 'keep-stored', detail: `(serial ${stored.serial}, ${what}); kept it` };
}

/** Options of adoptPlan(). */
export interface AdoptPlanOptions {
  dryRun: boolean;
  rule: ReplaceRule;
  /** Deliver a certificate already stored to endpoints with no deployed record of its serial (a killed adoption). Default: false. */
  deliverOwed?: boolean;
}

/** Adopts the account and certificates of a plan without problems; skipped ones are reported as such. */
export async function adoptPlan(
  plan: LegoImportPlan,
  deps: LegoImportDeps,
  options: AdoptPlanOptions,
): Promise<{ account: AccountImport; certificates: CertificateImport[] }> {
  const account = await importAccount(plan, deps, options.dryRun);
  const certificates: CertificateImport[] = [];
  for (const planned of plan.certificates) certificates.push(await importCertificate(planned, deps, options));
  for (const skipped of plan.skipped) {
    certificates.push({
      legoName: skipped.legoName,
      outcome: 'skipped',
      ...(skipped.serial === undefined ? {} : { serial: skipped.serial }),
      detail: skipped.reason,
    });
  }
  return { account, certificates };
}

async function importAccount(plan: LegoImportPlan, deps: LegoImportDeps, dryRun: boolean): Promise<AccountImport> {
  const planned = plan.account;
  if (planned === undefined)
    return {
      outcome: 'none',
      others: [],
      detail: `${plan.accountNote ?? 'no lego account was chosen'}; the first renewal registers a new account`,
    };
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
    return {
      outcome: 'kept-existing',
      ...facts,
      detail: `--home already has account "${existing.accountUrl}" for this CA; kept it and left the lego account alone`,
    };
  }
  if (!dryRun) {
    await deps.store.saveAccount({
      directoryUrl: deps.directoryUrl,
      accountUrl: account.accountUrl,
      ...(account.email === undefined ? {} : { email: account.email }),
      keyPem: account.keyPem,
      createdAt: deps.clock.now().toISOString(),
    });
    deps.logger.info('Imported the lego account', { accountUrl: account.accountUrl, lego: facts.lego });
  }
  return {
    outcome: 'imported',
    ...facts,
    detail: dryRun ? 'would be imported (dry run)' : 'imported: renewals use this account, no new registration',
  };
}

function renewalDueAt(planned: PlannedCertificate, now: Date): string {
  const { certificate, domains } = planned;
  const facts = {
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    domains,
    keyType: certificate.keyType,
  };
  const decision = shouldRenew({ certificate: facts, desired: facts, now, nextCheckAt: now });
  return decision.due ? now.toISOString() : decision.notBefore.toISOString();
}

/**
 * True when the crt-list does not name the bundle, or an endpoint of this run has no deployed
 * record of `serial` for `name`: a run killed between the store and the deploy.
 */
async function deliveryOwed(name: string, serial: string, deps: LegoImportDeps): Promise<boolean> {
  const { crtList } = deps.deploy;
  if (crtList !== undefined && !(await crtList.hasEntry(deps.bundles.pathOf(name)))) return true;
  if (deps.deploy.endpoints.length === 0) return false;
  const state = await deps.deploy.deployState.load(name, deps.deploy.node);
  return deps.deploy.endpoints.some((endpoint) => {
    const recorded = state.endpoints[endpoint.label];
    return recorded === undefined || recorded.status !== 'deployed' || recorded.serial !== serial;
  });
}

/**
 * Lists the bundle in the crt-list (on disk, so that HAProxy loads it at its next start even when
 * no runtime socket is configured), then puts it into every endpoint, like a new certificate.
 */
async function deploy(name: string, deps: LegoImportDeps): Promise<EndpointOutcome[] | undefined> {
  const { crtList } = deps.deploy;
  if (crtList !== undefined && (await crtList.ensureEntry(deps.bundles.pathOf(name)))) {
    deps.logger.info('Listed the adopted certificate in the crt-list', { certificate: name, crtList: crtList.path });
  }
  if (deps.deploy.endpoints.length === 0) return undefined;
  return deployCertificate(name, {
    ...deps.deploy,
    store: deps.store,
    bundles: deps.bundles,
    clock: deps.clock,
    logger: deps.logger,
  });
}

async function alreadyStored(
  planned: PlannedCertificate,
  deps: LegoImportDeps,
  options: AdoptPlanOptions,
  base: Omit<CertificateImport, 'outcome' | 'detail'>,
): Promise<CertificateImport> {
  const done: CertificateImport = {
    ...base,
    outcome: 'already-imported',
    detail: 'already imported: --home holds this certificate',
  };
  if (
    options.dryRun ||
    options.deliverOwed !== true ||
    !(await deliveryOwed(planned.name, planned.certificate.serial, deps))
  )
    return done;
  deps.logger.info('Delivering an adopted lego certificate that HAProxy has not got yet', {
    certificate: planned.name,
    serial: planned.certificate.serial,
  });
  const outcomes = await deploy(planned.name, deps);
  // `deploy` is set (empty without endpoints) to say that something was delivered now.
  return { ...done, deploy: outcomes ?? [], detail: 'already imported; delivered to HAProxy now' };
}

async function importCertificate(
  planned: PlannedCertificate,
  deps: LegoImportDeps,
  options: AdoptPlanOptions,
): Promise<CertificateImport> {
  const { certificate, name, domains } = planned;
  const now = deps.clock.now();
  const base = {
    name,
    legoName: certificate.legoName,
    serial: certificate.serial,
    notAfter: certificate.notAfter.toISOString(),
    domains,
    keyType: certificate.keyType,
  };
  try {
    const existing = await deps.store.loadCertificateMeta(name);
    const decision = decideLegoCertificate(existing, certificate, options.rule);
    if (decision.action === 'already-stored') return await alreadyStored(planned, deps, options, base);
    if (decision.action === 'keep-stored')
      return { ...base, outcome: 'skipped', detail: `--home has a newer certificate "${name}" ${decision.detail}` };
    const dueAt = renewalDueAt(planned, now);
    const { replacing } = decision;
    if (options.dryRun) {
      return {
        ...base,
        outcome: 'imported',
        renewalDueAt: dueAt,
        detail:
          replacing === undefined
            ? 'would be imported (dry run)'
            : `would replace the older certificate in --home (serial ${replacing}) (dry run)`,
      };
    }
    // Compare-and-set against what was decided on: another writer's version is never replaced unseen.
    await deps.store.saveCertificate(
      {
        name,
        certPem: certificate.certPem,
        chainPem: certificate.chainPem,
        keyPem: certificate.keyPem,
        meta: {
          domains,
          directoryUrl: deps.directoryUrl,
          issuedAt: certificate.notBefore.toISOString(),
          adoptedFrom: 'lego',
        },
      },
      { expectedVersion: existing?.version ?? null },
    );
    const stored = await deps.store.loadCertificate(name);
    if (stored !== undefined) await deps.bundles.write(stored);
    // A fresh state: no failure backoff or ARI window of an older certificate carries over.
    const { revision } = await deps.renewalState.load(name);
    await deps.renewalState.save(name, {}, { expectedRevision: revision });
    deps.logger.info('Imported a lego certificate', {
      certificate: name,
      serial: certificate.serial,
      legoName: certificate.legoName,
    });
    const outcomes = await deploy(name, deps);
    return {
      ...base,
      outcome: 'imported',
      renewalDueAt: dueAt,
      ...(outcomes === undefined ? {} : { deploy: outcomes }),
      detail: replacing === undefined ? 'imported' : `imported, replacing the older certificate (serial ${replacing})`,
    };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    deps.logger.error('Cannot import a lego certificate', { certificate: name, error: messageOf(error) });
    return { ...base, outcome: 'failed', detail: messageOf(error) };
  }
}
