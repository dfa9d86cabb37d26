import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { CertificateError } from '../errors';
import {
  certificateLabel,
  describeCertificate,
  describeKey,
  isSelfSigned,
  readPrivateKey,
  readX509,
} from './_certificate';
import { PemBlock, splitPemBlocks } from './_split';

/** The pieces of a HAProxy `crt` file. */
export interface BundleParts {
  /** The leaf certificate: exactly one CERTIFICATE block. */
  leaf: string;
  /** Intermediates, nearest to the leaf first; each string may hold several CERTIFICATE blocks. */
  chain: string[];
  /** The leaf's unencrypted private key (PKCS#8, SEC1 or PKCS#1). */
  key: string;
}

function readLeaf(leafPem: string, what: string): { block: PemBlock; x509: X509Certificate } {
  const blocks = splitPemBlocks(leafPem);
  const block = blocks[0];
  if (blocks.length !== 1 || block === undefined || block.type !== 'CERTIFICATE') {
    const found = blocks.map((b) => `"${b.type}"`).join(', ') || 'nothing';
    throw new CertificateError(`Cannot read ${what}: expected exactly one "CERTIFICATE" block, found ${found}`);
  }
  return { block, x509: readX509(block.pem, what) };
}

/**
 * Checks that `keyPem` is the private key of the leaf certificate.
 * @throws CertificateError when they do not match or either does not parse; the message never holds key material.
 */
export function assertKeyMatchesCertificate(leafPem: string, keyPem: string): void {
  const { x509 } = readLeaf(leafPem, 'leaf certificate');
  const { key } = readPrivateKey(keyPem);
  if (!x509.checkPrivateKey(key)) {
    const info = describeCertificate(x509);
    throw new CertificateError(
      `Certificate and private key do not match: certificate "${info.serial}" has a ${info.keyType} public key that does not belong to the given ${describeKey(key)} private key`,
    );
  }
}

/**
 * Returns the names (in input order) that the leaf's subjectAltNames do not cover. DNS names
 * match case-insensitively; a wildcard SAN `*.example.com` covers exactly one extra label
 * (`a.example.com`, not `example.com` nor `a.b.example.com`); IP addresses match by value.
 * @throws CertificateError when the leaf does not parse.
 */
export function missingNames(leafPem: string, names: string[]): string[] {
  const info = describeCertificate(readLeaf(leafPem, 'leaf certificate').x509);
  const dnsNames = info.dnsNames.map((n) => n.toLowerCase());
  const ipAddresses = info.ipAddresses.map(canonicalIp);
  return names.filter((name) => {
    if (isIP(name) !== 0) return !ipAddresses.includes(canonicalIp(name));
    return !dnsNames.some((san) => dnsCovers(san, name.toLowerCase()));
  });
}

function dnsCovers(san: string, name: string): boolean {
  if (san === name) return true;
  if (!san.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(0, dot) !== '*' && name.slice(dot + 1) === san.slice(2);
}

/** IPv4 as is; IPv6 expanded to 8 lower-case groups without leading zeros (OpenSSL's SAN form). */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  let text = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16).toString(16)).join(':');
}

/**
 * Builds the HAProxy PEM bundle: leaf, chain, key; LF only, no blank lines, nothing but PEM
 * blocks, ending with a newline. HAProxy's `crt` and `set ssl cert` read exactly this.
 * @throws CertificateError when the leaf is not one certificate, the chain holds a non-certificate
 * or a self-signed root, the key is not an unencrypted private key, or the key does not match the leaf.
 */
export function buildHaproxyBundle(parts: BundleParts): string {
  const leaf = readLeaf(parts.leaf, 'leaf certificate');
  const chainBlocks = parts.chain.flatMap((pem) => splitPemBlocks(pem));
  chainBlocks.forEach((block, index) => {
    const what = `chain certificate ${index + 1}`;
    if (block.type !== 'CERTIFICATE') {
      throw new CertificateError(
        `Cannot build HAProxy bundle: ${what} is a "${block.type}" block, expected "CERTIFICATE"`,
      );
    }
    const x509 = readX509(block.pem, what);
    if (isSelfSigned(x509)) {
      throw new CertificateError(
        `Cannot build HAProxy bundle: ${what} ("${certificateLabel(x509)}") is a self-signed root; remove it from the chain`,
      );
    }
  });
  const key = readPrivateKey(parts.key);
  assertKeyMatchesCertificate(leaf.block.pem, key.pem);
  return [leaf.block.pem, ...chainBlocks.map((b) => b.pem), key.pem].join('');
}
