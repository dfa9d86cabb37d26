/**
 * Every path under `--home` (pure: no I/O). Layout, with all directories 0700 and all files 0600:
 * ```
 * <home>/accounts/<host>_<port>/<path>/account.json, account.key.pem
 * <home>/certificates/<name> -> .versions/<name>/<version>   (relative symlink)
 * <home>/certificates/.versions/<name>/<version>/{cert,chain,fullchain,privkey}.pem, meta.json
 * <home>/haproxy/<name>.pem                                   (leaf, chain, key)
 * <home>/issued/<name>.json                                   (a certificate the CA issued, kept until stored)
 * ```
 * Temporary files and directories start with a dot, so listings skip them. Entries of another
 * client in the same home (lego's `certificates/<domain>.crt` regular files and
 * `accounts/<server>/<email>/` folders) are foreign: listings skip them, cleanup never touches them.
 */
import { join } from 'node:path';
import { ConfigError } from '../errors';

/** Longest sanitised certificate name; keeps every path well below PATH_MAX. */
export const MAX_NAME_LENGTH = 64;

/** Where the files of one certificate are: `dir` is the symlink, the others live behind it. */
export interface CertificatePaths {
  dir: string;
  cert: string;
  chain: string;
  fullchain: string;
  privkey: string;
  meta: string;
  bundle: string;
}

const NAME_SOURCE = 'certificate name';

function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Turns a certificate name (by default the first domain) into a safe path segment:
 * lower-case, `*` becomes `_wildcard`, only `a-z 0-9 . _ -`, no leading dot, no `..`, at most 64
 * characters. `*.Example.com` → `_wildcard.example.com`.
 * @throws ConfigError (source `certificate name`) when the name cannot be made safe.
 */
export function sanitiseName(name: string): string {
  const safe = name.toLowerCase().replace(/\*/g, '_wildcard');
  const fail = (detail: string): never => {
    throw new ConfigError(`Cannot use certificate name ${quote(name)}: ${detail}`, { source: NAME_SOURCE });
  };
  if (safe === '') return fail('it is empty; pass --name or a --domain');
  if (!/^[a-z0-9._-]+$/.test(safe)) {
    return fail(
      'use only letters a-z, digits, ".", "_", "-" and "*" (write internationalised names in punycode, "xn--…")',
    );
  }
  if (safe.startsWith('.')) return fail('it must not start with "."');
  if (safe.includes('..')) return fail('it must not contain ".."');
  if (safe.length > MAX_NAME_LENGTH)
    return fail(`it is ${safe.length} characters long once sanitised, the limit is ${MAX_NAME_LENGTH}`);
  return safe;
}

/** `<home>/certificates`: one symlink per certificate name. */
export function certificatesDir(home: string): string {
  return join(home, 'certificates');
}

/**
 * `<home>/certificates/<name>`: a symlink to the current version directory.
 * @throws ConfigError when the name is unsafe (see sanitiseName).
 */
export function certificateDir(home: string, name: string): string {
  return join(certificatesDir(home), sanitiseName(name));
}

/**
 * `<home>/certificates/.versions/<name>`: every kept version of one certificate.
 * @throws ConfigError when the name is unsafe (see sanitiseName).
 */
export function versionsDir(home: string, name: string): string {
  return join(certificatesDir(home), '.versions', sanitiseName(name));
}

/** The symlink target of `certificates/<name>`, relative to `certificates/`. */
export function versionLinkTarget(name: string, version: string): string {
  return join('.versions', sanitiseName(name), version);
}

/**
 * Names a version directory `<UTC yyyymmddThhmmssZ>-<first 16 hex of the serial>`, which sorts
 * by time, e.g. `20261127T003554Z-87654321FEDCBA98`.
 */
export function versionName(at: Date, serial: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${serial
    .replace(/[^0-9A-Fa-f]/g, '')
    .toUpperCase()
    .slice(0, 16)}`;
}

/** `<home>/haproxy`: the bundles HAProxy loads with `crt`. */
export function haproxyDir(home: string): string {
  return join(home, 'haproxy');
}

/**
 * `<home>/haproxy/<name>.pem`: the HAProxy bundle (leaf, chain, key).
 * @throws ConfigError when the name is unsafe (see sanitiseName).
 */
export function haproxyBundlePath(home: string, name: string): string {
  return join(haproxyDir(home), `${sanitiseName(name)}.pem`);
}

/** `<home>/issued`: certificates the CA issued that are not stored yet (see IssuedCertificateStore). */
export function issuedDir(home: string): string {
  return join(home, 'issued');
}

/**
 * `<home>/issued/<name>.json`: what the CA issued for `name`, kept from download until it is stored.
 * @throws ConfigError when the name is unsafe (see sanitiseName).
 */
export function issuedPath(home: string, name: string): string {
  return join(issuedDir(home), `${sanitiseName(name)}.json`);
}

/**
 * All file paths of one certificate, through its symlink.
 * @throws ConfigError when the name is unsafe (see sanitiseName).
 */
export function certificatePaths(home: string, name: string): CertificatePaths {
  const dir = certificateDir(home, name);
  return {
    dir,
    cert: join(dir, 'cert.pem'),
    chain: join(dir, 'chain.pem'),
    fullchain: join(dir, 'fullchain.pem'),
    privkey: join(dir, 'privkey.pem'),
    meta: join(dir, 'meta.json'),
    bundle: haproxyBundlePath(home, name),
  };
}

function safeSegment(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '_')
    .replace(/^\.+/, '_');
}

/**
 * `<home>/accounts/<host>_<port>/<path>`, one directory per ACME directory URL, like lego's
 * `accounts/<server>`: `https://acme-v02.api.letsencrypt.org/directory` →
 * `accounts/acme-v02.api.letsencrypt.org_443/directory`; `https://[::1]:14000/dir` → `accounts/___1__14000/dir`.
 * @throws ConfigError (source `directory URL`) when the URL is not http(s).
 */
export function accountDir(home: string, directoryUrl: string): string {
  let url: URL;
  try {
    url = new URL(directoryUrl);
  } catch (error) {
    throw new ConfigError(`Cannot use ACME directory URL ${quote(directoryUrl)}: it is not a URL`, {
      source: 'directory URL',
      cause: error,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(
      `Cannot use ACME directory URL ${quote(directoryUrl)}: use https:// (or http:// for a local test CA)`,
      { source: 'directory URL' },
    );
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  return join(home, 'accounts', `${safeSegment(url.hostname)}_${port}`, path === '' ? '_root' : safeSegment(path));
}

/**
 * Whether a folder under `accounts/<server>/` belongs to another client: our folders are URL path
 * segments made safe (never an `@`), lego names its folders after the account email.
 */
export function isForeignAccountFolder(name: string): boolean {
  return name.includes('@');
}

/** A temporary sibling name for an atomic write: `.<base>.tmp-<random>`. */
export function tempName(base: string, random: string): string {
  return `.${base}.tmp-${random}`;
}
