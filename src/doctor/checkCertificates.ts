import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';

/** What the certificate checks read of one `acme list` row (listCertificates() with the endpoints asked live). */
export interface CertificateFacts {
  name: string;
  domains: string[];
  serial: string;
  /** ISO 8601. */
  notBefore: string;
  /** ISO 8601. */
  notAfter: string;
  daysLeft: number;
  bundlePath: string;
  nextRenewal: { at: string; due: boolean; reason: string };
  lastError: { message: string; failures: number } | null;
  endpoints: Array<{
    endpoint: string;
    servedSerial: string | null;
    current: boolean;
    pendingDeploy: boolean;
    error: string | null;
  }>;
}

/**
 * Past this share of the lifetime left without a renewal, the renewer is not working: the lifetime
 * rule renews at one third left (one half for 10 days or less, renewal/policy.ts), so one sixth is
 * at least half the margin gone.
 */
const OVERDUE_SHARE = 1 / 6;

/** For each certificate and HAProxy endpoint: does HAProxy serve the stored serial (pure)? */
export function checkServedSerials(certificates: readonly CertificateFacts[]): DoctorCheck[] {
  return certificates.flatMap((c) =>
    c.endpoints.map((e): DoctorCheck => {
      const title = `${c.name} on ${e.endpoint}`;
      const deploy = `Run "acme deploy --name ${c.name}" with the same --haproxy-socket`;
      if (e.current) return passed('served-serial', title, `serves the stored serial ${c.serial}`);
      const pending = e.pendingDeploy ? ' (the last deploy is pending)' : '';
      if (e.servedSerial !== null) {
        return problem('served-serial', title, {
          status: 'fail',
          detail: `serves serial ${e.servedSerial}, the stored one is ${c.serial}${pending}`,
          fix: deploy,
        });
      }
      if (e.error !== null && !e.pendingDeploy) {
        return problem('served-serial', title, {
          status: 'fail',
          detail: `cannot ask HAProxy: ${e.error}`,
          fix: 'See the runtime socket check above',
        });
      }
      return problem('served-serial', title, {
        status: 'fail',
        detail: `HAProxy has not loaded "${c.bundlePath}"${pending}`,
        fix: `${deploy} and --haproxy-crt-list, so that the bundle is added to the crt-list`,
      });
    }),
  );
}

function expiryFinding(
  c: CertificateFacts,
  now: Date,
): { status: 'warn' | 'fail'; detail: string; fix: string } | undefined {
  const notAfter = Date.parse(c.notAfter);
  const lifetime = notAfter - Date.parse(c.notBefore);
  const renew = `Run "acme renew --name ${c.name}" and read its error; check that the renewer (acme daemon) runs`;
  if (notAfter <= now.getTime()) return { status: 'fail', detail: `expired on ${c.notAfter}`, fix: renew };
  if (notAfter - now.getTime() < lifetime * OVERDUE_SHARE) {
    return {
      status: 'fail',
      detail: `renewal overdue: ${c.daysLeft} days left of ${Math.round(lifetime / 86_400_000)}`,
      fix: renew,
    };
  }
  if (c.lastError !== null) {
    const message = c.lastError.message.replace(/\s+/g, ' ').slice(0, 200);
    return {
      status: 'warn',
      detail: `${c.lastError.failures} failed renewal(s), next attempt ${c.nextRenewal.at}: ${message}`,
      fix: `Fix the cause in the error, then run "acme renew --name ${c.name} --force"`,
    };
  }
  return undefined;
}

/** For each certificate: expiry and next renewal, failing when expired or overdue, warning after failed renewals (pure). */
export function checkExpiry(certificates: readonly CertificateFacts[], now: Date): DoctorCheck[] {
  if (certificates.length === 0)
    return [skipped('expiry', 'certificates', 'no certificates stored yet; obtain one with "acme issue -d <name>"')];
  return certificates.map((c) => {
    const title = `${c.name} expiry`;
    const found = expiryFinding(c, now);
    if (found !== undefined) return problem('expiry', title, found);
    const next = c.nextRenewal.due
      ? `due now (${c.nextRenewal.reason})`
      : `${c.nextRenewal.at.slice(0, 10)} (${c.nextRenewal.reason})`;
    return passed('expiry', title, `expires ${c.notAfter.slice(0, 10)} (${c.daysLeft} days), next renewal ${next}`);
  });
}
