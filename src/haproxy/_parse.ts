import { stripSeverity } from './_reply';

/** One certificate as `show ssl cert <path>` prints it. */
export interface SslCertInfo {
  /** The name HAProxy knows it by (the path as loaded), without the `*` of a transaction. */
  filename: string;
  /** Whether this describes the uncommitted transaction (`show ssl cert *<path>`). */
  transaction: boolean;
  /** `Used` or `Unused`. */
  status: string;
  /** Upper-case hex, no colons. */
  serial: string;
  /** As printed, e.g. `Feb 24 23:50:51 2027 GMT`. */
  notBefore: string;
  notAfter: string;
  /** Upper-case hex, no colons. */
  sha1Fingerprint: string;
  /** OpenSSL one-line form, e.g. `/CN=a.example.test`. */
  subject: string;
  issuer: string;
  /** Entries of `Subject Alternative Name` without their type, e.g. `a.example.test`. */
  san: string[];
  /** e.g. `EC256`, `RSA2048`. */
  algorithm: string;
  /** `Chain Subject:` lines, leaf-side first. */
  chainSubjects: string[];
}

/** `show ssl cert` without an argument. */
export interface SslCertList {
  /** The certificate of the open transaction, if there is one (HAProxy has at most one). */
  transaction?: string;
  certificates: string[];
}

/** One line of a crt-list as `show ssl crt-list <list>` prints it. */
export interface CrtListEntry {
  path: string;
  /** The line number, only with `show ssl crt-list -n`. */
  line?: number;
  /** The text between `[` and `]`, trimmed. */
  options?: string;
  sni: string[];
}

/** The master process line of `show proc`. */
export interface MasterProcess {
  pid: number;
  reloads: number;
  /** `[failed: N]`: failed reloads since the last good one (absent in some versions). */
  failed?: number;
}

/** `show proc` on the master CLI. */
export interface ShowProc {
  master: MasterProcess;
  workers: { pid: number; reloads: number }[];
}

/** `show info` as name/value pairs, with the version pulled out. */
export interface ShowInfo {
  version: string;
  fields: Record<string, string>;
}

/** Lines of a reply without severity prefixes, NUL bytes (2.6 prints one in crt-list options) or trailing blanks. */
function lines(reply: string): string[] {
  return stripSeverity(reply)
    .replace(/\0/g, '')
    .split('\n')
    .map((line) => line.trimEnd());
}

/**
 * Parses `show ssl cert <path>`; undefined when it is not such a reply. Sample (2.6.12):
 * ```
 * Filename: /srv/hap/certs/a.pem
 * Status: Used
 * Serial: 6197FFA70BDE73108572
 * notBefore: Nov 27 01:05:18 2026 GMT
 * notAfter: Nov 29 01:05:18 2026 GMT
 * Subject Alternative Name: DNS:a.example.test, DNS:www.a.example.test
 * Algorithm: EC256
 * SHA1 FingerPrint: BD6F2FFB6F087AE4D2C3DC890BD7ED3297F096B6
 * Subject: /CN=a.example.test
 * Issuer: /CN=a.example.test
 * ```
 */
export function parseShowSslCert(reply: string): SslCertInfo | undefined {
  const fields = new Map<string, string>();
  const chainSubjects: string[] = [];
  for (const line of lines(reply)) {
    const colon = line.indexOf(': ');
    const name = colon < 0 ? line.replace(/:$/, '') : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 2).trim();
    if (name === 'Chain Subject') chainSubjects.push(value);
    else if (!fields.has(name)) fields.set(name, value);
  }
  const filename = fields.get('Filename');
  const serial = fields.get('Serial');
  if (filename === undefined || serial === undefined) return undefined;
  const field = (name: string): string => fields.get(name) ?? '';
  const san = field('Subject Alternative Name')
    .split(',')
    .map((entry) => entry.trim().replace(/^[A-Za-z ]+:/, ''))
    .filter((entry) => entry !== '');
  return {
    filename: filename.replace(/^\*/, ''),
    transaction: filename.startsWith('*'),
    status: field('Status'),
    serial: serial.toUpperCase(),
    notBefore: field('notBefore'),
    notAfter: field('notAfter'),
    sha1Fingerprint: field('SHA1 FingerPrint').replace(/:/g, '').toUpperCase(),
    subject: field('Subject'),
    issuer: field('Issuer'),
    san,
    algorithm: field('Algorithm'),
    chainSubjects,
  };
}

/**
 * Parses `show ssl cert` (no argument). Sample while a transaction is open (2.6.12; the line
 * under `# transaction` is the path prefixed with `*`, shown here as `<*>`):
 * ```
 * # transaction
 * <*>/srv/hap/certs/a.pem
 * # filename
 * /srv/hap/certs/a.pem
 * /srv/hap/certs/b.pem
 * ```
 */
export function parseShowSslCertList(reply: string): SslCertList {
  const result: SslCertList = { certificates: [] };
  let section: 'transaction' | 'filename' | undefined;
  for (const line of lines(reply)) {
    if (line === '# transaction' || line === '# filename')
      section = line === '# transaction' ? 'transaction' : 'filename';
    else if (line === '' || line.startsWith('#')) continue;
    else if (section === 'transaction') result.transaction = line.replace(/^\*/, '');
    else if (section === 'filename') result.certificates.push(line);
  }
  return result;
}

/** Parses `show ssl crt-list` (no argument): the crt-list files and `crt` directories. Sample: `/srv/hap/crt-list.txt`. */
export function parseShowSslCrtLists(reply: string): string[] {
  return lines(reply).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Parses `show ssl crt-list [-n] <list>`. Sample (2.6.12, `-n`; HAProxy prints a NUL before `]`):
 * ```
 * # /srv/hap/crt-list.txt
 * /srv/hap/certs/a.pem:1
 * /srv/hap/certs/d.pem:4 [alpn h2,http/1.1] d.example.test www.d.example.test
 * ```
 */
export function parseShowSslCrtList(reply: string): CrtListEntry[] {
  const entries: CrtListEntry[] = [];
  for (const line of lines(reply)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^(\S+?)(?::(\d+))?(?: \[([^\]]*)\])?((?: \S+)*)$/.exec(line);
    if (!match) continue;
    const [, path = '', lineNumber, options, sni = ''] = match;
    // A line number past 2^53 would become "1e+40" in `del ssl crt-list <list> <path>:<line>`; HAProxy never prints one.
    if (lineNumber !== undefined && !Number.isSafeInteger(Number(lineNumber))) continue;
    entries.push({
      path,
      ...(lineNumber === undefined ? {} : { line: Number(lineNumber) }),
      ...(options === undefined ? {} : { options: options.trim() }),
      sni: sni.split(' ').filter((name) => name !== ''),
    });
  }
  return entries;
}

/**
 * Parses `show proc` of the master CLI; undefined without a master line. Sample (2.6.12):
 * ```
 * #<PID>          <type>          <reloads>       <uptime>        <version>
 * 22978           master          2 [failed: 1]   0d00h00m03s     2.6.12-1+deb12u4
 * # workers
 * 22984           worker          1               0d00h00m03s     2.6.12-1+deb12u4
 * ```
 */
export function parseShowProc(reply: string): ShowProc | undefined {
  let master: MasterProcess | undefined;
  const workers: ShowProc['workers'] = [];
  for (const line of lines(reply)) {
    const match = /^(\d+)\s+(master|worker)\s+(\d+)(?:\s+\[failed: (\d+)\])?\s/.exec(line);
    if (!match) continue;
    const [, pid = '', type, reloads = '', failed] = match;
    // A pid or counter past 2^53 is not from HAProxy, and would compare wrongly as a float.
    if (![pid, reloads, failed ?? '0'].every((digits) => Number.isSafeInteger(Number(digits)))) continue;
    if (type === 'master')
      master = {
        pid: Number(pid),
        reloads: Number(reloads),
        ...(failed === undefined ? {} : { failed: Number(failed) }),
      };
    else workers.push({ pid: Number(pid), reloads: Number(reloads) });
  }
  return master === undefined ? undefined : { master, workers };
}

/** Parses `show info` (`Name: value` lines); undefined without a `Version:` line. Sample: `Version: 2.6.12-1+deb12u4`. */
export function parseShowInfo(reply: string): ShowInfo | undefined {
  const fields: Record<string, string> = {};
  for (const line of lines(reply)) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
  }
  const version = fields.Version;
  return version === undefined ? undefined : { version, fields };
}

/**
 * Parses the 2.7+ synchronous master `reload` reply; undefined on 2.6 (empty reply). Sample:
 * ```
 * Success=1
 * --
 * [NOTICE]   (1234) : haproxy version is 2.8.5
 * ```
 */
export function parseReloadReply(reply: string): { success: boolean; log: string } | undefined {
  const match = /^Success=([01])\s*$/m.exec(reply);
  if (!match) return undefined;
  const separator = reply.indexOf('\n--\n');
  return { success: match[1] === '1', log: separator < 0 ? '' : reply.slice(separator + 4).trim() };
}
