import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { CertificateError } from '../errors';
import { splitPemBlocks } from './_split';

/** What we read from one X.509 certificate; formats follow HAProxy's `show ssl cert`. */
export interface CertificateInfo {
  /** Upper-case hex without the DER sign byte, as HAProxy prints it, e.g. `87654321FEDCBA9876543210`. */
  serial: string;
  /** SHA-1 of the DER, upper-case hex without colons (HAProxy's `SHA1 FingerPrint`). */
  sha1Fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** DNS subjectAltNames in certificate order, e.g. `['example.com', '*.apps.example.com']`. */
  dnsNames: string[];
  /** IP subjectAltNames as OpenSSL prints them, e.g. `['127.0.0.1', '0:0:0:0:0:0:0:1']`. */
  ipAddresses: string[];
  /**
   * Subject in HAProxy's slash form, e.g. `/CN=example.com`; `''` when the certificate has none,
   * as Let's Encrypt issues under its `tlsserver` and `shortlived` profiles (names in SANs only).
   */
  subject: string;
  /** Issuer in HAProxy's slash form, e.g. `/O=Let's Encrypt/CN=E5`. */
  issuer: string;
  /** Public key type: `ec256`, `ec384`, `ec521`, `rsa2048`, `rsa4096`, `ed25519`, … */
  keyType: string;
  /** True when the certificate names itself as issuer and its own key verifies its signature. */
  isSelfSigned: boolean;
}

const CURVE_BITS: Record<string, string> = {
  prime256v1: '256',
  secp384r1: '384',
  secp521r1: '521',
};

/** Names a key like HAProxy's `Algorithm:` line, lower-case: `ec256`, `rsa2048`, `ed25519`. */
export function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') return `ec${CURVE_BITS[details.namedCurve ?? ''] ?? `-${details.namedCurve ?? 'unknown'}`}`;
  if (type === 'rsa' || type === 'rsa-pss') return `${type.replace('-', '')}${details.modulusLength ?? ''}`;
  return type;
}

/** Parses one X.509 certificate from a canonical CERTIFICATE block. */
export function readX509(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(`Cannot parse ${what}: ${causeText(error)}`, { cause: error });
  }
}

/** Summarises an already parsed certificate. */
export function describeCertificate(x509: X509Certificate): CertificateInfo {
  const altNames = parseSubjectAltName(x509.subjectAltName ?? '');
  return {
    serial: x509.serialNumber.toUpperCase(),
    sha1Fingerprint: x509.fingerprint.replace(/:/g, '').toUpperCase(),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    dnsNames: altNames.filter((n) => n.kind === 'DNS').map((n) => n.value),
    ipAddresses: altNames.filter((n) => n.kind === 'IP Address').map((n) => n.value),
    subject: slashName(x509.subject),
    issuer: slashName(x509.issuer),
    keyType: describeKey(x509.publicKey),
    isSelfSigned: isSelfSigned(x509),
  };
}

/**
 * Names a certificate in a message: its subject in OpenSSL's one-line form
 * (`O=haproxy-acme test, CN=Test Intermediate E1`), or, for a certificate without a subject,
 * `serial <hex> (no subject)`.
 */
export function certificateLabel(x509: X509Certificate): string {
  const subject = oneLineName(x509.subject);
  return subject === '' ? `serial ${x509.serialNumber.toUpperCase()} (no subject)` : subject;
}

/** True when the certificate is its own issuer (a root or a self-signed placeholder). */
export function isSelfSigned(x509: X509Certificate): boolean {
  return x509.checkIssued(x509) && x509.verify(x509.publicKey);
}

/**
 * Reads the first CERTIFICATE block of `pem`.
 * @throws CertificateError when there is none or it does not parse.
 */
export function parseCertificate(pem: string): CertificateInfo {
  const block = splitPemBlocks(pem).find((b) => b.type === 'CERTIFICATE');
  if (block === undefined)
    throw new CertificateError('Cannot parse certificate: the text holds no "CERTIFICATE" block');
  return describeCertificate(readX509(block.pem, 'certificate'));
}

/**
 * Splits a full chain as an ACME server sends it (leaf first) into the leaf and its
 * intermediates; any self-signed root is dropped because TLS servers must not send it.
 * @throws CertificateError when there is no certificate, a block is not a certificate, or one does not parse.
 */
export function parseChain(fullchainPem: string): { leaf: string; chain: string[] } {
  const blocks = splitPemBlocks(fullchainPem);
  if (blocks.length === 0)
    throw new CertificateError('Cannot read certificate chain: the text holds no "CERTIFICATE" block');
  const certificates = blocks.map((block, index) => {
    const what = `certificate ${index + 1} of ${blocks.length} in the chain`;
    if (block.type !== 'CERTIFICATE') {
      throw new CertificateError(
        `Cannot read certificate chain: block ${index + 1} is "${block.type}"; a chain holds only "CERTIFICATE" blocks`,
      );
    }
    return { pem: block.pem, x509: readX509(block.pem, what) };
  });
  const [leaf, ...rest] = certificates;
  return {
    leaf: leaf?.pem ?? '',
    chain: rest.filter((c) => !isSelfSigned(c.x509)).map((c) => c.pem),
  };
}

/** Private key PEM labels HAProxy can load without a passphrase. */
export const PRIVATE_KEY_TYPES: readonly string[] = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'];

/**
 * Reads the single private key block of `keyPem` (PKCS#8, SEC1 or PKCS#1).
 * @throws CertificateError when there is not exactly one unencrypted key block or it does not parse.
 */
export function readPrivateKey(keyPem: string): { key: KeyObject; pem: string; type: string } {
  const blocks = splitPemBlocks(keyPem);
  if (blocks.length !== 1) {
    throw new CertificateError(
      `Cannot read private key: the text holds ${blocks.length} PEM blocks, expected exactly one`,
    );
  }
  const block = blocks[0] as { type: string; pem: string };
  if (!PRIVATE_KEY_TYPES.includes(block.type)) {
    throw new CertificateError(
      `Cannot read private key: the block is "${block.type}", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)`,
    );
  }
  try {
    return { key: createPrivateKey(block.pem), pem: block.pem, type: block.type };
  } catch (error) {
    throw new CertificateError(`Cannot read private key: ${causeText(error)}`, { cause: error });
  }
}

/**
 * Returns the key type of a private key PEM: `ec256`, `ec384`, `rsa2048`, …
 * @throws CertificateError when the text is not exactly one readable, unencrypted private key.
 */
export function keyTypeOf(keyPem: string): string {
  return describeKey(readPrivateKey(keyPem).key);
}

interface AltName {
  kind: string;
  value: string;
}

// Node prints SANs as `DNS:a, DNS:b, IP Address:127.0.0.1`, JSON-quoting a value that holds a
// comma, quote or control character (Node ≥ 17.3, CVE-2021-44532), e.g. `DNS:"a, b"`.
const ALT_NAME = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;

function parseSubjectAltName(text: string): AltName[] {
  const names: AltName[] = [];
  for (const match of text.matchAll(ALT_NAME)) {
    const raw = match[2] ?? '';
    names.push({ kind: match[1] ?? '', value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return names;
}

// Node types `subject` and `issuer` as strings, but Node 20 gives `undefined` for an empty name
// (Node 24 gives ''): every leaf of Let's Encrypt's `tlsserver` and `shortlived` profiles has one.

/** A distinguished name as Node prints it (`O=a\nCN=b`) in HAProxy's slash form (`/O=a/CN=b`); '' for an empty one. */
export function slashName(multiline: string | undefined): string {
  return (multiline ?? '')
    .split('\n')
    .filter((part) => part !== '')
    .map((part) => `/${part}`)
    .join('');
}

/** A distinguished name as Node prints it (`O=a\nCN=b`) on one line (`O=a, CN=b`); '' for an empty one. */
export function oneLineName(multiline: string | undefined): string {
  return (multiline ?? '')
    .split('\n')
    .filter((part) => part !== '')
    .join(', ');
}

// node:crypto errors can come from another realm (jest's VM), where `instanceof Error` is false.
function causeText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
