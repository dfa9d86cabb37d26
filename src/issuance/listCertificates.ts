import type { Clock } from '../clock';
import type { CertificateStore } from '../storage';

/** One row of `acme list`. */
export interface CertificateSummary {
  name: string;
  domains: string[];
  serial: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter, rounded down; negative once expired. */
  daysLeft: number;
  keyType: string;
  bundlePath: string;
}

const MS_PER_DAY = 86_400_000;

/** Summarises every stored certificate, sorted by name. @throws StorageError */
export async function listCertificates(deps: { store: CertificateStore; clock: Clock }): Promise<CertificateSummary[]> {
  const now = deps.clock.now().getTime();
  const stored = await deps.store.listCertificates();
  return stored.map(({ meta, paths }) => ({
    name: meta.name,
    domains: meta.domains,
    serial: meta.serial,
    notBefore: meta.notBefore,
    notAfter: meta.notAfter,
    daysLeft: Math.floor((Date.parse(meta.notAfter) - now) / MS_PER_DAY),
    keyType: meta.keyType,
    bundlePath: paths.bundle,
  }));
}
