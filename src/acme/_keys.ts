/**
 * Account keys, certificate keys and CSRs. Key generation is native and asynchronous only
 * (OpenSSL in libuv's thread pool): never node-forge, whose pure-JS RSA blocks the event loop
 * for seconds (see notes §5).
 */
import { generateKeyPair } from 'node:crypto';
import { isIP } from 'node:net';
import { encodeCsr } from './_csr';
import { AppError } from '../errors';
import { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from '../pem';

type KeySpec = { type: 'ec'; namedCurve: string } | { type: 'rsa'; modulusLength: number };

// Native, asynchronous generation; returns the PKCS#8 PEM private key.
function generatePrivateKeyPem(spec: KeySpec): Promise<string> {
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string): void =>
      error ? reject(error) : resolve(privateKey);
    if (spec.type === 'ec') generateKeyPair('ec', { namedCurve: spec.namedCurve, ...encoding }, done);
    else generateKeyPair('rsa', { modulusLength: spec.modulusLength, ...encoding }, done);
  });
}

export { CERTIFICATE_KEY_TYPES, type CertificateKeyType };

// RFC 5280 Appendix A: ub-common-name = 64. A longer first name goes into the SAN only.
const MAX_COMMON_NAME_CHARS = 64;

/** Creates an ACME account key: ECDSA P-256 (ES256), PKCS#8 PEM. */
export async function createAccountKey(): Promise<string> {
  return generatePrivateKeyPem({ type: 'ec', namedCurve: 'P-256' });
}

/**
 * Creates a certificate private key of `keyType` as PKCS#8 PEM.
 * @throws {AppError} INTERNAL for a key type outside CERTIFICATE_KEY_TYPES (config validation should have caught it)
 */
export async function createCertificateKey(keyType: CertificateKeyType): Promise<string> {
  switch (keyType) {
    case 'ec256':
    case 'ec384':
      return generatePrivateKeyPem({ type: 'ec', namedCurve: keyType === 'ec256' ? 'P-256' : 'P-384' });
    case 'rsa2048':
    case 'rsa3072':
    case 'rsa4096':
      return generatePrivateKeyPem({ type: 'rsa', modulusLength: Number(keyType.slice(3)) });
    default:
      throw new AppError(
        'INTERNAL',
        `Cannot create a certificate key: unknown key type "${String(keyType)}"; use one of ${CERTIFICATE_KEY_TYPES.join(', ')}`,
      );
  }
}

/**
 * Creates a PEM CSR for `identifiers` signed with `keyPem`: every DNS name as a `DNS:` SAN and
 * every IPv4/IPv6 literal as an `IP Address:` SAN (typed with net.isIP()), as acme-client did; the
 * first identifier also as CN when it is a DNS name of at most 64 characters. An IP never goes
 * into the CN: an IP-only CSR has an empty subject, like Let's Encrypt's IP certificates (the CN
 * is deprecated, and pebble checks only the SANs against the order).
 * @throws {AppError} INTERNAL when `identifiers` is empty
 */
export async function createCsr(identifiers: readonly string[], keyPem: string): Promise<string> {
  const first = identifiers[0];
  if (first === undefined) throw new AppError('INTERNAL', 'Cannot create a CSR: no domain given');
  const commonName = isIP(first) === 0 && first.length <= MAX_COMMON_NAME_CHARS ? first : undefined;
  return encodeCsr({ ...(commonName === undefined ? {} : { commonName }), altNames: identifiers }, keyPem);
}
