/**
 * Test certificates for the swap benchmark, made with the openssl CLI: a local root CA, one
 * intermediate, and EC P-256 leaves signed by the intermediate. Each leaf comes as a HAProxy
 * bundle (leaf, intermediate, key: the root stays out, as a real chain has it) with the serial
 * and SHA-1 that `show ssl cert` must report after a swap.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildHaproxyBundle, parseCertificate } from '../../src/pem';

const execFileAsync = promisify(execFile);

/** Every openssl call is bounded. */
const OPENSSL_TIMEOUT_MS = 15_000;
/** The benchmark lives for minutes; 2 days is plenty. */
const VALIDITY_DAYS = '2';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A local CA: the intermediate signs the leaves. */
export interface TestCa {
  dir: string;
  intermediateCertPath: string;
  intermediateKeyPath: string;
  intermediatePem: string;
}

/** One leaf as HAProxy wants it, plus what HAProxy reports for it. */
export interface TestBundle {
  /** The DNS names of the leaf (the first one is the CN). */
  dnsNames: string[];
  bundlePem: string;
  serial: string;
  sha1Fingerprint: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`Cannot run "openssl ${args[0]}" for a bench certificate: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
}

/** A random positive 128-bit serial in openssl's `-set_serial` form. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, and no leading zero byte to normalise away
  return `0x${bytes.toString('hex')}`;
}

/** Creates a root CA and an intermediate CA in `dir` (created if missing). */
export async function createTestCa(dir: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const root = { cert: join(dir, 'root.pem'), key: join(dir, 'root.key') };
  const inter = {
    cert: join(dir, 'intermediate.pem'),
    key: join(dir, 'intermediate.key'),
    csr: join(dir, 'intermediate.csr'),
  };
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    root.key,
    '-out',
    root.cert,
    '-days',
    VALIDITY_DAYS,
    '-subj',
    '/O=haproxy-acme bench/CN=Bench Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl([
    'req',
    '-new',
    ...EC_KEY,
    '-keyout',
    inter.key,
    '-out',
    inter.csr,
    '-subj',
    '/O=haproxy-acme bench/CN=Bench Intermediate',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    inter.csr,
    '-CA',
    root.cert,
    '-CAkey',
    root.key,
    '-set_serial',
    randomSerial(),
    '-days',
    VALIDITY_DAYS,
    '-copy_extensions',
    'copy',
    '-out',
    inter.cert,
  ]);
  return {
    dir,
    intermediateCertPath: inter.cert,
    intermediateKeyPath: inter.key,
    intermediatePem: await readFile(inter.cert, 'utf8'),
  };
}

let leafCounter = 0;

/** Issues one EC P-256 leaf for `dnsNames` from the intermediate and returns its HAProxy bundle. */
export async function issueTestBundle(ca: TestCa, dnsNames: string[]): Promise<TestBundle> {
  leafCounter += 1;
  const base = join(ca.dir, `leaf-${leafCounter}`);
  const [cn] = dnsNames;
  if (cn === undefined) throw new Error('Cannot issue a bench certificate: no DNS name given');
  await openssl([
    'req',
    '-new',
    ...EC_KEY,
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${dnsNames.map((name) => `DNS:${name}`).join(',')}`,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    ca.intermediateCertPath,
    '-CAkey',
    ca.intermediateKeyPath,
    '-set_serial',
    randomSerial(),
    '-days',
    VALIDITY_DAYS,
    '-copy_extensions',
    'copy',
    '-out',
    `${base}.pem`,
  ]);
  const [leaf, key] = await Promise.all([readFile(`${base}.pem`, 'utf8'), readFile(`${base}.key`, 'utf8')]);
  await Promise.all(['.key', '.csr', '.pem'].map((ext) => rm(`${base}${ext}`, { force: true })));
  const info = parseCertificate(leaf);
  return {
    dnsNames,
    bundlePem: buildHaproxyBundle({ leaf, chain: [ca.intermediatePem], key }),
    serial: info.serial,
    sha1Fingerprint: info.sha1Fingerprint,
  };
}

/** Issues one bundle per entry of `namesList`, at most `parallel` openssl pipelines at a time. */
export async function issueTestBundles(ca: TestCa, namesList: string[][], parallel = 4): Promise<TestBundle[]> {
  const results: TestBundle[] = new Array<TestBundle>(namesList.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < namesList.length) {
      const index = next;
      next += 1;
      results[index] = await issueTestBundle(ca, namesList[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, namesList.length) }, worker));
  return results;
}
