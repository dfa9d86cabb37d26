/**
 * Synthetic lego homes for the upgrade benchmark, in exactly the layout Debian's lego 4.9.1 writes
 * with `--path DIR` (src/migration/_legoFiles.ts):
 * ```
 * DIR/accounts/<host>_<port>/<email>/account.json, keys/<email>.key
 * DIR/certificates/<domain>.crt (leaf + intermediate), .key (SEC1 PEM), .issuer.crt, .json
 * ```
 * The account files are copied from a real lego run against the bench's pebble; the certificates
 * are signed locally by the renewal benchmark's generator (_localCerts.ts), so 1000 of them take
 * seconds, and their `.json` names the pebble as the CA that served them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalLeaf, type LocalCa } from './_localCerts';

/** A lego account folder as lego wrote it. */
export interface LegoAccountFiles {
  /** `<host>_<port>` of the directory URL, as lego names the folder. */
  server: string;
  email: string;
  accountJson: string;
  keyPem: string;
  /** `registration.uri` of account.json. */
  accountUrl: string;
}

/** lego's account folder name for a directory URL: Go's `url.Host` with `:` as `_`. */
export function legoServerFolder(directoryUrl: string): string {
  return new URL(directoryUrl).host.replace(/:/g, '_');
}

/** Reads the account lego registered under `legoPath` for `directoryUrl` and `email`. */
export async function readLegoAccount(
  legoPath: string,
  directoryUrl: string,
  email: string,
): Promise<LegoAccountFiles> {
  const server = legoServerFolder(directoryUrl);
  const dir = join(legoPath, 'accounts', server, email);
  const accountJson = await readFile(join(dir, 'account.json'), 'utf8');
  const keyPem = await readFile(join(dir, 'keys', `${email}.key`), 'utf8');
  const accountUrl = (JSON.parse(accountJson) as { registration?: { uri?: string } }).registration?.uri;
  if (accountUrl === undefined)
    throw new Error(`Cannot use lego's account "${dir}/account.json": it has no registration.uri`);
  return { server, email, accountJson, keyPem, accountUrl };
}

/** Options of writeLegoHome(). */
export interface LegoHomeOptions {
  account: LegoAccountFiles;
  ca: LocalCa;
  /** One certificate per name, its only DNS name. */
  names: string[];
  now: Date;
  /** Where `certUrl` points: the pebble's origin, e.g. `https://127.0.0.1:14000`. */
  caOrigin: string;
  /** Leaves generated at once. */
  parallel: number;
}

const FILE = { mode: 0o600 } as const;
const DIR = { recursive: true, mode: 0o700 } as const;

/** `pem` ending with exactly one newline, as lego writes each block. */
const lines = (pem: string): string => `${pem.trimEnd()}\n`;

/** Writes the four files lego keeps for one certificate; resolves with its serial, upper-case hex. */
async function writeLegoCertificate(certificates: string, name: string, options: LegoHomeOptions): Promise<string> {
  // 10 days into a 90-day life: nothing is due.
  const leaf = await createLocalLeaf(options.ca, name, { now: options.now, ageDays: 10, lifetimeDays: 90 });
  const serial = new X509Certificate(leaf.certPem).serialNumber.toUpperCase();
  const sec1 = createPrivateKey(leaf.keyPem).export({ format: 'pem', type: 'sec1' }).toString();
  const certUrl = `${options.caOrigin}/certZ/${serial.toLowerCase()}`;
  const base = join(certificates, name);
  await Promise.all([
    writeFile(`${base}.crt`, `${lines(leaf.certPem)}${lines(options.ca.intermediatePem)}`, FILE),
    writeFile(`${base}.issuer.crt`, lines(options.ca.intermediatePem), FILE),
    writeFile(`${base}.key`, sec1, FILE),
    writeFile(
      `${base}.json`,
      `${JSON.stringify({ domain: name, certUrl, certStableUrl: certUrl }, null, '\t')}\n`,
      FILE,
    ),
  ]);
  return serial;
}

/** Writes a lego home at `dir` (which must not exist yet); resolves with each certificate's serial by name. */
export async function writeLegoHome(dir: string, options: LegoHomeOptions): Promise<Map<string, string>> {
  const { account } = options;
  const accountDir = join(dir, 'accounts', account.server, account.email);
  await mkdir(join(accountDir, 'keys'), DIR);
  await writeFile(join(accountDir, 'account.json'), account.accountJson, FILE);
  await writeFile(join(accountDir, 'keys', `${account.email}.key`), account.keyPem, FILE);
  const certificates = join(dir, 'certificates');
  await mkdir(certificates, DIR);
  const serials = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    // Bounded: each worker takes names until the list is done.
    while (next < options.names.length) {
      const name = options.names[next]!;
      next += 1;
      serials.set(name, await writeLegoCertificate(certificates, name, options));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, options.names.length)) }, worker));
  return serials;
}
