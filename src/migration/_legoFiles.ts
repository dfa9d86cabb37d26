/**
 * The lego directory layout (Debian lego 4.9.1, `lego --path DIR run`), as captured from a real run
 * against pebble (test/fixtures/lego/pebble-4.9.1):
 * ```
 * DIR/accounts/<server host, ":" as "_">/<email>/account.json
 * DIR/accounts/<server host, ":" as "_">/<email>/keys/<email>.key
 * DIR/certificates/<domain, "*" as "_">.{crt,key,issuer.crt,json}   (+ .pem with --pem, .pfx with --pfx)
 * ```
 * `<server>` is Go's `url.Host` of `--server`: `acme-v02.api.letsencrypt.org`, `127.0.0.1_14000`.
 * Certificates are not filed by server or account. Pure: no I/O.
 */

/** Largest lego file we read; a certificate chain with an RSA 8192 key is under 20 KiB. */
export const MAX_LEGO_FILE_BYTES = 64 * 1024;
/**
 * Most lego entries read from one directory: 4 files a certificate, so 4096 certificates. In a home,
 * only lego's own names count (our links and `.versions` beside them do not), so adopting never
 * stops at a size the home has only because of our own files.
 */
export const MAX_LEGO_DIR_ENTRIES = 16384;

/** One file read from the lego directory. */
export interface LegoFile {
  /** Relative to the lego directory, `/`-separated, e.g. `certificates/example.com.crt`; used in every message. */
  path: string;
  text: string;
}

/** A file that could not be read or used, with why. */
export interface LegoProblem {
  /** Relative to the lego directory, like LegoFile.path. */
  file: string;
  /** One sentence, never key material. */
  message: string;
}

/** The files of one lego account folder. */
export interface LegoAccountFiles {
  /** The server folder name, e.g. `acme-v02.api.letsencrypt.org` or `127.0.0.1_14000`. */
  server: string;
  /** The account folder name: lego's email, or `noemail@example.com` when none was given. */
  folder: string;
  accountJson?: LegoFile;
  key?: LegoFile;
}

/** The files lego wrote for one certificate, by their common base name (e.g. `_.example.com`). */
export interface LegoCertificateFiles {
  base: string;
  crt?: LegoFile;
  key?: LegoFile;
  issuer?: LegoFile;
  json?: LegoFile;
}

/** Everything read from a lego directory: raw texts, not yet validated. */
export interface LegoSnapshot {
  /** The directory as given (`--path`), for messages. */
  root: string;
  accounts: LegoAccountFiles[];
  certificates: LegoCertificateFiles[];
  /** Files the reader refused (symlink out of the directory, too large, not a regular file). */
  problems: LegoProblem[];
  /** Files present but not used (`.pem`, `.pfx`, anything unknown). */
  ignored: string[];
}

const CERTIFICATE_SUFFIXES: ReadonlyArray<[string, keyof Omit<LegoCertificateFiles, 'base'> | undefined]> = [
  ['.issuer.crt', 'issuer'],
  ['.crt', 'crt'],
  ['.key', 'key'],
  ['.json', 'json'],
  // Written by --pem and --pfx; the .crt and .key hold the same material.
  ['.pem', undefined],
  ['.pfx', undefined],
];

/** Which certificate file an entry of `certificates/` is: its base and role, or undefined for anything else. */
export function classifyCertificateFile(
  fileName: string,
): { base: string; role: keyof Omit<LegoCertificateFiles, 'base'> | undefined } | undefined {
  for (const [suffix, role] of CERTIFICATE_SUFFIXES) {
    if (fileName.endsWith(suffix) && fileName.length > suffix.length)
      return { base: fileName.slice(0, -suffix.length), role };
  }
  return undefined;
}

/** lego's file base for a certificate's main domain: `*` becomes `_` (lego `sanitizedDomain`). */
export function legoFileBase(domain: string): string {
  return domain.replace(/\*/g, '_');
}

/** Host and port of an URL, lower-case, with the scheme's default port made explicit. */
function hostPort(hostname: string, port: string, protocol: string): string {
  const effective = port === '' ? (protocol === 'http:' ? '80' : '443') : port;
  return `${hostname.toLowerCase()}:${effective}`;
}

/** `host:port` of an ACME directory URL, or undefined when it is not an http(s) URL. */
export function serverOfUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return hostPort(parsed.hostname, parsed.port, parsed.protocol);
}

/**
 * Whether a lego server folder (`127.0.0.1_14000`, `acme-v02.api.letsencrypt.org`, `[__1]_14000`)
 * is the one lego makes for `directoryUrl`. lego keeps the port only when `--server` named one.
 */
export function isLegoServerFolderOf(folder: string, directoryUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(directoryUrl);
  } catch {
    return false;
  }
  const match = /^(\[[0-9a-f_.]+\]|[^[\]_:]+)(?:_(\d{1,5}))?$/i.exec(folder);
  if (match === null) return false;
  const host = (match[1] ?? '').replace(/_/g, ':');
  return hostPort(host, match[2] ?? '', parsed.protocol) === hostPort(parsed.hostname, parsed.port, parsed.protocol);
}
