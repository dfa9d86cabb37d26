/**
 * TLS for the peers and the tests: self-signed certificates made with the openssl CLI, and the
 * serial a server really serves, read in a real TLS handshake.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';

import { requireBinary } from './_binaries';

const execFileAsync = promisify(execFile);

/** Validity of the generated certificates: the peers live for one test run. */
const CERT_VALIDITY_DAYS = 2;
/** One openssl run, one TLS handshake: each is bounded. */
const OPENSSL_TIMEOUT_MS = 20_000;
const HANDSHAKE_TIMEOUT_MS = 5_000;

/** A generated certificate: its files, its PEM parts and the values HAProxy prints for it. */
export interface TestCert {
  /** `<dir>/<name>.crt` */
  certPath: string;
  /** `<dir>/<name>.key`, mode 600. */
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** `certPem + keyPem`, what a HAProxy `crt` file holds. */
  bundle: string;
  /** Upper-case hex, no colons, as `show ssl cert` prints it. */
  serial: string;
  /** Upper-case hex, no colons. */
  sha1: string;
}

/** Options of `generateCert()`. */
export interface GenerateCertOptions {
  /** DNS names of the subjectAltName; the first is the CN. Default: `[name + '.example.test']`. */
  dnsNames?: string[];
  /** IP addresses added to the subjectAltName, e.g. `127.0.0.1`. Default: none. */
  ipAddresses?: string[];
  /** `ec` (P-256) or `rsa` (`rsaBits`). Default: `ec`. */
  keyType?: 'ec' | 'rsa';
  /** Default: 2048. */
  rsaBits?: number;
}

/**
 * Generates a self-signed certificate with a random serial as `<dir>/<name>.crt` and
 * `<dir>/<name>.key` (openssl CLI; Debian's pebble ships no certificate for its API).
 */
export async function generateCert(dir: string, name: string, options: GenerateCertOptions = {}): Promise<TestCert> {
  const dnsNames = options.dnsNames ?? [`${name}.example.test`];
  const altNames = [...dnsNames.map((dns) => `DNS:${dns}`), ...(options.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  const keyPath = path.join(dir, `${name}.key`);
  const certPath = path.join(dir, `${name}.crt`);
  const keyArgs =
    options.keyType === 'rsa'
      ? ['-newkey', `rsa:${options.rsaBits ?? 2048}`]
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  // A serial whose first byte is 0x10-0x7F: positive, no sign byte, no leading zero.
  const serial = (0x10 + (randomBytes(1)[0]! % 0x70)).toString(16) + randomBytes(9).toString('hex');
  const args = [
    'req',
    '-x509',
    ...keyArgs,
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    String(CERT_VALIDITY_DAYS),
    '-set_serial',
    `0x${serial}`,
    '-subj',
    `/CN=${dnsNames[0]}`,
    '-addext',
    `subjectAltName=${altNames.join(',')}`,
  ];
  try {
    await execFileAsync(requireBinary('openssl'), args, { timeout: OPENSSL_TIMEOUT_MS });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `Cannot generate a test certificate with "openssl ${args.join(' ')}": ${stderr.trim() || String(err)}`,
      { cause: err },
    );
  }
  await fs.chmod(keyPath, 0o600);
  const [certPem, keyPem] = await Promise.all([fs.readFile(certPath, 'utf8'), fs.readFile(keyPath, 'utf8')]);
  const x509 = new X509Certificate(certPem);
  const sha1 = x509.fingerprint.replace(/:/g, '');
  return {
    certPath,
    keyPath,
    certPem,
    keyPem,
    bundle: certPem + keyPem,
    serial: x509.serialNumber.toUpperCase(),
    sha1,
  };
}

/** Completes a real TLS handshake with 127.0.0.1:`port` sending `servername`; resolves with the served leaf's serial (upper-case hex). */
export function servedSerial(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
      socket.destroy();
      resolve(serial);
    });
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () =>
      socket.destroy(new Error(`TLS handshake with 127.0.0.1:${port} timed out`)),
    );
    socket.once('error', reject);
  });
}
