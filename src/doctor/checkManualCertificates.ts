import { basename } from 'node:path';
import {
  MAX_HAPROXY_DIR_ENTRIES,
  MAX_MANUAL_CERTIFICATES,
  type ManualCertificate,
  type ManualCertificateScan,
} from '../manual';
import { passed, problem, type DoctorCheck } from './DoctorCheck';

/** A manual certificate with fewer days left than this gets a warning: time to buy or make the next one. */
export const MANUAL_EXPIRY_WARNING_DAYS = 21;

const ID = 'manual-certificates';
const TITLE = 'manual certificates';
const MS_PER_DAY = 86_400_000;
const RESTART = 'then restart HAProxy so that it loads them (under snapd: snap restart <snap>.haproxy)';

function replaceFix(certificate: ManualCertificate): string {
  const key =
    certificate.keyPath === null || certificate.keyPath === certificate.path
      ? ''
      : ` and its key "${certificate.keyPath}"`;
  return `Replace "${certificate.path}"${key} with a renewed certificate, ${RESTART}; haproxy-acme never renews a certificate you put there`;
}

function namesOf(certificate: ManualCertificate): string {
  return certificate.names.length === 0 ? 'no names' : certificate.names.join(', ');
}

function checkOne(certificate: ManualCertificate, now: Date): DoctorCheck {
  const title = `manual certificate ${basename(certificate.path)}`;
  if (certificate.problem !== null || certificate.notAfter === null) {
    return problem(ID, title, {
      status: 'fail',
      detail: `HAProxy cannot load "${certificate.path}", so it is not served: ${certificate.problem ?? 'it does not parse'}`,
      fix: `Put the certificate and its chain in "${certificate.path}" and its key in it or in "${certificate.path}.key", ${RESTART}`,
    });
  }
  const notAfter = Date.parse(certificate.notAfter);
  const daysLeft = Math.floor((notAfter - now.getTime()) / MS_PER_DAY);
  const day = certificate.notAfter.slice(0, 10);
  if (notAfter <= now.getTime()) {
    return problem(ID, title, {
      status: 'fail',
      detail: `expired on ${certificate.notAfter}; HAProxy serves it expired for ${namesOf(certificate)}`,
      fix: replaceFix(certificate),
    });
  }
  if (daysLeft < MANUAL_EXPIRY_WARNING_DAYS) {
    return problem(ID, title, {
      status: 'warn',
      detail: `expires on ${certificate.notAfter} (${daysLeft} days left), for ${namesOf(certificate)}`,
      fix: replaceFix(certificate),
    });
  }
  const key = certificate.keyPath === certificate.path ? 'key in the file' : `key in "${certificate.keyPath}"`;
  return passed(
    ID,
    title,
    `for ${namesOf(certificate)}, ${key}, expires ${day} (${daysLeft} days); not renewed by haproxy-acme`,
  );
}

/**
 * The certificates users put into `<home>/haproxy/` by hand (pure): one row each, failing when
 * HAProxy cannot load one (no usable key, does not parse) or it has expired, warning when it
 * expires within MANUAL_EXPIRY_WARNING_DAYS days or when there are more than the reader reads;
 * one `ok` row when there are none. haproxy-acme never renews them, so this is the only reminder.
 */
export function checkManualCertificates(scan: ManualCertificateScan | Error, now: Date): DoctorCheck[] {
  if (scan instanceof Error) {
    return [
      problem(ID, TITLE, {
        status: 'fail',
        detail: `cannot read them, so none is served: ${scan.message}`,
        fix: 'Fix what the message names (the directory of the HAProxy bundles must be a readable directory)',
      }),
    ];
  }
  const checks = scan.certificates.map((certificate) => checkOne(certificate, now));
  if (scan.notInspected.length > 0 || scan.truncated) {
    const detail = scan.truncated
      ? `"${scan.directory}" holds more than ${MAX_HAPROXY_DIR_ENTRIES} entries; the others are neither checked nor served`
      : `"${scan.directory}" holds ${scan.notInspected.length} manual certificate(s) beyond the first ${MAX_MANUAL_CERTIFICATES}; those are neither checked nor served`;
    checks.push(
      problem(ID, TITLE, {
        status: 'warn',
        detail,
        fix: `Remove the files you do not need from "${scan.directory}", ${RESTART}`,
      }),
    );
  }
  return checks.length > 0 ? checks : [passed(ID, TITLE, `none in "${scan.directory}"`)];
}
