import { resolve } from 'node:path';
import { systemClock } from '../clock';
import { messageOf } from '../errors';
import { silentLogger } from '../log';
import { FileCertificateStore, haproxyDir, writeFileAtomic } from '../storage';
import type { ManualCertificate } from './inspectManualCertificate';
import { MAX_HAPROXY_DIR_ENTRIES, MAX_MANUAL_CERTIFICATES, readManualCertificates } from './readManualCertificates';
import { renderManualCrtList, type SkippedManualCertificate } from './renderManualCrtList';

/** What writeManualCrtList() wrote. */
export interface ManualCrtListResult {
  /** Lines written: manual certificates HAProxy can load. */
  written: number;
  /** Manual certificates (or the directory) left out, with the reason. */
  skipped: SkippedManualCertificate[];
}

/**
 * Writes `target`, the crt-list of the manual certificates in `<home>/haproxy/` that HAProxy can
 * load: one path a line (HAProxy loads `<file>.key` itself), atomically, mode 0600; an empty file
 * when there are none. Run at every HAProxy start so that the HTTPS bind can load
 * `crt-list <ours> crt-list <target>`: a certificate with a problem is left out with its reason,
 * and a directory or store that cannot be read gives an empty list with the reason, so HAProxy
 * never fails to start because of a manual file.
 * @throws StorageError STORAGE_IO when `target` cannot be written (its directory must exist).
 */
export async function writeManualCrtList(home: string, target: string): Promise<ManualCrtListResult> {
  const skipped: SkippedManualCertificate[] = [];
  let certificates: ManualCertificate[] = [];
  try {
    const names = await new FileCertificateStore({
      home,
      clock: systemClock,
      logger: silentLogger,
    }).listCertificateNames();
    const scan = await readManualCertificates(home, { names });
    // The list itself, should it be written among the certificates, is not one of them.
    certificates = scan.certificates.filter((c) => resolve(c.path) !== resolve(target));
    for (const path of scan.notInspected)
      skipped.push({
        path,
        problem: `more than ${MAX_MANUAL_CERTIFICATES} manual certificates in "${scan.directory}"; only the first ${MAX_MANUAL_CERTIFICATES} by name are served`,
      });
    if (scan.truncated)
      skipped.push({
        path: scan.directory,
        problem: `it holds more than ${MAX_HAPROXY_DIR_ENTRIES} entries; the others were not looked at`,
      });
  } catch (error) {
    skipped.push({ path: haproxyDir(home), problem: `none is served: ${messageOf(error)}` });
  }
  const list = renderManualCrtList(certificates);
  await writeFileAtomic(target, list.text, { mode: 0o600 });
  return { written: list.written.length, skipped: [...list.skipped, ...skipped] };
}
