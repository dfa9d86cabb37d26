/**
 * Names every backend derives the same way (pure: no I/O): the certificate name made safe
 * (sanitiseName), the version id of a saved certificate (versionName), the id of an archived one
 * (archiveFolderName), and the ACME directory URLs a store accepts (checkDirectoryUrl). The file
 * backend builds its paths from them (file/paths.ts); another backend uses them as keys.
 */
import { ConfigError } from '../errors';

/** Longest sanitised certificate name; keeps every path well below PATH_MAX. */
export const MAX_NAME_LENGTH = 64;

const NAME_SOURCE = 'certificate name';

/** A value for a message, JSON-quoted and cut at 80 characters. */
export function quote(value: string): string {
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

/** `yyyymmddThhmmssZ` (UTC, no separators), which sorts by time. */
function utcStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Names a version (the file backend's version directory) `<UTC yyyymmddThhmmssZ>-<first 16 hex
 * of the serial>`, which sorts by time, e.g. `20261127T003554Z-87654321FEDCBA98`.
 */
export function versionName(at: Date, serial: string): string {
  return `${utcStamp(at)}-${serial
    .replace(/[^0-9A-Fa-f]/g, '')
    .toUpperCase()
    .slice(0, 16)}`;
}

/**
 * The archive id of a removed certificate (the file backend's folder under `<home>/archive/`):
 * `<name>-<UTC yyyymmddThhmmssZ>`, e.g. `a.example.com-20261127T003554Z`.
 * @throws ConfigError for an unsafe name (see sanitiseName)
 */
export function archiveFolderName(name: string, at: Date): string {
  return `${sanitiseName(name)}-${utcStamp(at)}`;
}

/**
 * Parses an ACME directory URL a store accepts: http(s) only.
 * @throws ConfigError (source `directory URL`) when the URL is not http(s).
 */
export function checkDirectoryUrl(directoryUrl: string): URL {
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
  return url;
}
