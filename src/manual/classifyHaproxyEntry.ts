import { isAbsolute, relative } from 'node:path';

/**
 * The extensions HAProxy's crt directory loading skips because they belong to a certificate file
 * (its key, OCSP response, issuer, SCT list): HAProxy 2.6 `crtlist_load_cert_dir()` compares the
 * text after the last dot, case-sensitively, and also skips every dot file.
 */
export const COMPANION_EXTENSIONS: readonly string[] = ['.key', '.ocsp', '.issuer', '.sctl'];

/** What lstat, readlink, realpath and stat tell about one entry of `<home>/haproxy/`. */
export interface HaproxyDirEntry {
  /** The entry's name, e.g. `cert.crt`. */
  name: string;
  /** lstat's answer: a regular file, a symbolic link, or anything else (directory, socket, FIFO). */
  type: 'file' | 'symlink' | 'other';
  /** For a symlink: its target made absolute against the directory, without touching the disk. */
  linkTarget?: string;
  /** For a symlink: its real path; undefined when it dangles or cannot be resolved. */
  realTarget?: string;
  /** For a symlink: what its target is (stat); `missing` when it dangles or cannot be resolved. */
  targetType?: 'file' | 'other' | 'missing';
}

/** What classifyHaproxyEntry() compares an entry with. */
export interface ManualEntryContext {
  /** `<name>.pem` of every stored certificate (CertificateStore.listCertificateNames()): our bundles. */
  bundleFiles: ReadonlySet<string>;
  /** `<home>/haproxy` as given and as its real path. */
  haproxyDirs: readonly string[];
  /** `<home>/certificates` as given and as its real path: lego keeps `<domain>.crt` and `.key` there. */
  certificatesDirs: readonly string[];
}

/** Why an entry is not a manual certificate, or that it is one. */
export type EntryVerdict =
  | { manual: true }
  | {
      manual: false;
      reason:
        | 'dot file'
        | 'companion file'
        | 'our bundle'
        | 'link to our bundle'
        | 'link to lego certificate'
        | 'not a regular file';
    };

/** True when `path` is `dir` itself or lies below it (lexically). */
function isInside(path: string, dir: string): boolean {
  const inside = relative(dir, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot);
}

/**
 * Says whether one entry of `<home>/haproxy/` is a manual certificate (pure): an entry HAProxy's
 * directory loading would pick (not a dot file, not a companion `.key` `.ocsp` `.issuer` `.sctl`,
 * a regular file or a link to one) that is not one of our bundles (`<name>.pem` of a stored
 * certificate, or a link to one) and not a link into `<home>/certificates/`: that is how the
 * lego-based release pointed `cert.crt` and `cert.crt.key` at lego's copy of a certificate, which
 * haproxy-acme adopts and renews. A dangling link elsewhere counts as manual, so that the reader
 * reports why it cannot be read. Example: `{ name: 'cert.crt', type: 'file' }` → `{ manual: true }`.
 */
export function classifyHaproxyEntry(entry: HaproxyDirEntry, context: ManualEntryContext): EntryVerdict {
  if (entry.name.startsWith('.')) return { manual: false, reason: 'dot file' };
  if (COMPANION_EXTENSIONS.includes(extensionOf(entry.name))) return { manual: false, reason: 'companion file' };
  if (entry.type === 'other') return { manual: false, reason: 'not a regular file' };
  if (context.bundleFiles.has(entry.name)) return { manual: false, reason: 'our bundle' };
  if (entry.type === 'file') return { manual: true };
  const targets = [entry.linkTarget, entry.realTarget].filter((t): t is string => t !== undefined);
  if (targets.some((target) => context.certificatesDirs.some((dir) => isInside(target, dir)))) {
    return { manual: false, reason: 'link to lego certificate' };
  }
  if (targets.some((target) => context.haproxyDirs.some((dir) => context.bundleFiles.has(relative(dir, target))))) {
    return { manual: false, reason: 'link to our bundle' };
  }
  if (entry.targetType === 'other') return { manual: false, reason: 'not a regular file' };
  return { manual: true };
}
