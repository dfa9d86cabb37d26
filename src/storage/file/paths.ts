/**
 * Every path under `--home` (pure: no I/O), from the names of ../_names.ts. Layout, with all directories 0700 and all files 0600:
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
import { checkDirectoryUrl, sanitiseName } from '../_names';

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
  const url = checkDirectoryUrl(directoryUrl);
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
