/**
 * Outcome of one check. `fail` makes `acme doctor` exit 1; `warn` is worth a look but not broken;
 * `skip` means the check could not run here (its detail says why).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One row of the doctor's table. */
export interface DoctorCheck {
  /** Stable identifier for scripts, e.g. `runtime-socket`, `served-serial`. */
  id: string;
  /** What was checked, e.g. `runtime socket unix@/run/haproxy/admin.sock`. */
  title: string;
  status: CheckStatus;
  /** What was found, one sentence. Never key material. */
  detail: string;
  /** What to do about it; null for `ok` and `skip`. */
  fix: string | null;
}

/** Counts by status and whether any check failed. */
export interface DoctorSummary {
  ok: boolean;
  counts: Record<CheckStatus, number>;
}

/** A check that passed. */
export const passed = (id: string, title: string, detail: string): DoctorCheck => ({
  id,
  title,
  status: 'ok',
  detail,
  fix: null,
});
/** A check that could not run; `detail` says why. */
export const skipped = (id: string, title: string, detail: string): DoctorCheck => ({
  id,
  title,
  status: 'skip',
  detail,
  fix: null,
});
/** A failed check (or a warning with `status: 'warn'`) with the sentence that fixes it. */
export const problem = (
  id: string,
  title: string,
  found: { status: 'warn' | 'fail'; detail: string; fix: string },
): DoctorCheck => ({
  id,
  title,
  status: found.status,
  detail: found.detail,
  fix: found.fix,
});

/** Counts the checks by status (pure); `ok` is false when any failed. */
export function summariseChecks(checks: readonly DoctorCheck[]): DoctorSummary {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) counts[check.status] += 1;
  return { ok: counts.fail === 0, counts };
}
