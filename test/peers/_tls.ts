import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

import { requireBinary } from './_binaries';

const execFileAsync = promisify(execFile);

/** Validity of the generated certificates: the peers live for one test run. */
const CERT_VALIDITY_DAYS = 2;

/** Paths of a generated certificate and its key. */
export interface SelfSignedCert {
  certPath: string;
  keyPath: string;
}

/**
 * Generates a self-signed EC P-256 certificate for `localhost` and `127.0.0.1` with the openssl
 * CLI (Debian's pebble ships no certificate for its API).
 */
export async function generateSelfSignedCert(certPath: string, keyPath: string): Promise<SelfSignedCert> {
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', String(CERT_VALIDITY_DAYS),
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ];
  try {
    await execFileAsync(requireBinary('openssl'), args, { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`Cannot generate a test certificate with "openssl ${args.join(' ')}": ${stderr.trim() || String(err)}`, { cause: err });
  }
  await fs.chmod(keyPath, 0o600);
  return { certPath, keyPath };
}

/** Writes `cert + key` into one PEM file, as HAProxy's `crt` wants it (mode 0600). */
export async function writeHaproxyBundle(cert: SelfSignedCert, bundlePath: string): Promise<void> {
  const [certPem, keyPem] = await Promise.all([fs.readFile(cert.certPath, 'utf8'), fs.readFile(cert.keyPath, 'utf8')]);
  await fs.writeFile(bundlePath, certPem + keyPem, { mode: 0o600 });
}
