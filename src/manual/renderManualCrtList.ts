import { crtListWordProblem } from '../haproxyWord';
import type { ManualCertificate } from './inspectManualCertificate';

/** A manual certificate left out of the crt-list, and why. */
export interface SkippedManualCertificate {
  path: string;
  problem: string;
}

/**
 * The crt-list of the manual certificates HAProxy can load (pure): one path a line, in the given
 * order, nothing else (HAProxy loads `<file>.key` itself). A certificate with a problem, or whose
 * path is not one crt-list word, is left out with the reason, so a bad file never stops HAProxy
 * from starting. Example line: `/var/snap/immich-distribution/common/acme/haproxy/cert.crt`.
 */
export function renderManualCrtList(certificates: readonly ManualCertificate[]): {
  text: string;
  written: string[];
  skipped: SkippedManualCertificate[];
} {
  const written: string[] = [];
  const skipped: SkippedManualCertificate[] = [];
  for (const certificate of certificates) {
    const wordProblem = crtListWordProblem(certificate.path);
    if (certificate.problem !== null) skipped.push({ path: certificate.path, problem: certificate.problem });
    else if (wordProblem !== undefined)
      skipped.push({
        path: certificate.path,
        problem: `its path cannot be a crt-list line: ${wordProblem}; rename the file`,
      });
    else written.push(certificate.path);
  }
  return { text: written.map((path) => `${path}\n`).join(''), written, skipped };
}
