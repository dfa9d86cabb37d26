import type { Clock } from '../clock';
import type { CertificateStore, RenewalState, StoredCertificate } from '../storage';
import type { HookOutcome } from './renewCertificates';

/** What running the post-renew hooks needs. */
export interface HookDeps {
  store: Pick<CertificateStore, 'loadCertificate'>;
  /** Default: none, and nothing is ever owed. */
  runHooks?: (certificate: StoredCertificate) => Promise<HookOutcome[]>;
  clock: Clock;
}

/**
 * Runs the post-renew hooks of the stored certificate `name` and records them in `state`: every
 * result, and `hooksPending` (the serial) until all of them succeeded, so that a later pass runs
 * them again. The caller saves `state`; it SHOULD have saved `hooksPending` before the certificate
 * could be deployed, so that a run killed before its hooks owes them too.
 */
export async function runRecordedHooks(name: string, state: RenewalState, deps: HookDeps): Promise<HookOutcome[]> {
  const certificate = deps.runHooks === undefined ? undefined : await deps.store.loadCertificate(name);
  if (deps.runHooks === undefined || certificate === undefined) {
    state.hooksPending = undefined;
    return [];
  }
  state.hooksPending = certificate.meta.serial;
  const hooks = await deps.runHooks(certificate);
  const at = deps.clock.now().toISOString();
  state.hooks = hooks.map((h) => ({
    label: h.label,
    ok: h.ok,
    exitCode: h.exitCode,
    timedOut: h.timedOut,
    at,
    ...(h.error === undefined ? {} : { error: h.error }),
  }));
  if (hooks.every((h) => h.ok)) state.hooksPending = undefined;
  return hooks;
}

/**
 * Runs the post-renew hooks again when the last run of them, for the certificate stored now
 * (`serial`), did not all succeed, or never happened (a run killed between storing and its hooks).
 * Returns undefined when nothing was owed; the caller saves `state` otherwise.
 */
export async function runHooksIfOwed(
  name: string,
  serial: string,
  state: RenewalState,
  deps: HookDeps,
): Promise<HookOutcome[] | undefined> {
  if (state.hooksPending !== serial) return undefined;
  return runRecordedHooks(name, state, deps);
}
