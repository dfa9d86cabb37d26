/** What every backend derives from a certificate set before it stores it: the checked PEMs, the CertificateMeta (and its JSON form) and the HAProxy bundle. */
import { z } from 'zod';
import { CertificateError, StorageError } from '../errors';
import {
  assertKeyMatchesCertificate,
  buildHaproxyBundle,
  keyTypeOf,
  missingNames,
  parseCertificate,
  parseChain,
} from '../pem';
import { sanitiseName, versionName } from './_names';
import type { CertificateMeta, SaveCertificateInput, StoredCertificate } from './_types';

/** Everything a store writes for one version, computed and checked before any write. */
export interface PreparedCertificate {
  name: string;
  meta: CertificateMeta;
  certPem: string;
  chainPem: string;
  fullchainPem: string;
  keyPem: string;
  bundle: string;
}

/**
 * Validates a certificate set and derives its metadata and HAProxy bundle (pure).
 * @throws CertificateError when the PEMs do not parse, the key does not match, a domain is not covered, or the bundle cannot be built.
 * @throws ConfigError when the name is unsafe.
 */
export function prepareCertificate(input: SaveCertificateInput, now: Date): PreparedCertificate {
  const name = sanitiseName(input.name);
  const { leaf, chain } = parseChain(`${input.certPem}\n${input.chainPem}`);
  assertKeyMatchesCertificate(leaf, input.keyPem);
  const missing = missingNames(leaf, input.meta.domains);
  const info = parseCertificate(leaf);
  if (missing.length > 0) {
    throw new CertificateError(
      `Cannot store certificate "${name}": certificate "${info.serial}" does not cover ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
  const bundle = buildHaproxyBundle({ leaf, chain, key: input.keyPem });
  // The bundle ends with the canonical key block; reuse it rather than the caller's text.
  const keyPem = bundle.slice(bundle.lastIndexOf('-----BEGIN '));
  const chainPem = chain.join('');
  const meta: CertificateMeta = {
    name,
    domains: [...input.meta.domains],
    keyType: keyTypeOf(keyPem),
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    directoryUrl: input.meta.directoryUrl,
    issuedAt: input.meta.issuedAt ?? now.toISOString(),
    sha1Fingerprint: info.sha1Fingerprint,
    version: versionName(now, info.serial),
    ...(input.meta.profile === undefined ? {} : { profile: input.meta.profile }),
    ...(input.meta.adoptedFrom === undefined ? {} : { adoptedFrom: input.meta.adoptedFrom }),
  };
  return { name, meta, certPem: leaf, chainPem, fullchainPem: leaf + chainPem, keyPem, bundle };
}

const ISO_DATE = z.iso.datetime();

const metaSchema = z.object({
  name: z.string().min(1),
  domains: z.array(z.string().min(1)),
  keyType: z.string().min(1),
  serial: z.string().regex(/^[0-9A-F]+$/),
  notBefore: ISO_DATE,
  notAfter: ISO_DATE,
  directoryUrl: z.string().min(1),
  issuedAt: ISO_DATE,
  sha1Fingerprint: z.string().regex(/^[0-9A-F]{40}$/),
  version: z.string().min(1),
  profile: z.string().min(1).optional(),
  adoptedFrom: z.literal('lego').optional(),
});

/**
 * Parses and validates the text of a `meta.json`.
 * @throws StorageError STORAGE_CORRUPT naming `path` when it is not valid JSON or misses a field.
 */
export function parseMeta(text: string, path: string): CertificateMeta {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read certificate metadata "${path}": it is not JSON; delete the certificate and issue it again`,
      {
        path,
        cause: error,
      },
    );
  }
  const result = metaSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read certificate metadata "${path}": field "${field}" is invalid (${issue?.message ?? 'unknown'}); delete the certificate and issue it again`,
      { path, cause: result.error },
    );
  }
  return result.data;
}

/** Serialises metadata with a stable key order and a final newline. */
export function formatMeta(meta: CertificateMeta): string {
  return `${JSON.stringify(metaSchema.parse(meta), null, 2)}\n`;
}

/** The HAProxy bundle a stored version stands for: leaf, chain, key (as buildHaproxyBundle builds it). */
export function bundleOf(stored: Pick<StoredCertificate, 'certPem' | 'chainPem' | 'keyPem'>): string {
  return stored.certPem + stored.chainPem + stored.keyPem;
}
