/**
 * Certificates minted in the test process (@peculiar/x509 over WebCrypto): a self-signed leaf
 * with the names, validity and key a test asks for, as PEM, and an intermediate to chain it to.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const DAY_MS = 86_400_000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A minted certificate: the leaf and its unencrypted PKCS#8 key, both PEM ending in a newline. */
export interface MintedCertificate {
  certPem: string;
  keyPem: string;
  /** Upper-case hex, as HAProxy prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Options of mintCertificate(). */
export interface MintOptions {
  /** DNS names and IP addresses of the subjectAltName; none leaves the extension out. Default: `['manual.example.test']`. */
  names?: string[];
  /** Subject, e.g. `CN=legacy.example.test`. Default: empty. */
  subject?: string;
  /** Default: one day before `now`. */
  notBefore?: Date;
  /** Default: 90 days after `now`. */
  notAfter?: Date;
  /** Default: the system clock. */
  now?: Date;
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

function serial(): string {
  const bytes = randomBytes(12);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

/** A self-signed ECDSA P-256 leaf, as a user might buy or make one, with its key. */
export async function mintCertificate(options: MintOptions = {}): Promise<MintedCertificate> {
  const now = options.now ?? new Date();
  const keys = await generateKeys();
  const names = options.names ?? ['manual.example.test'];
  const notBefore = options.notBefore ?? new Date(now.getTime() - DAY_MS);
  const notAfter = options.notAfter ?? new Date(now.getTime() + 90 * DAY_MS);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (names.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) === 0 ? 'dns' : 'ip', value })),
        false,
      ),
    );
  }
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: options.subject ?? '',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions,
  });
  return {
    certPem: `${certificate.toString('pem')}\n`,
    keyPem: await keyPem(keys.privateKey),
    serial: certificate.serialNumber.toUpperCase().replace(/^(00)+(?=[0-9A-F])/, ''),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}
