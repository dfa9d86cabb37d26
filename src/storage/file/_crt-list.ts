import { constants } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { StorageError } from '../../errors';
import { crtListWordProblem } from '../../haproxyWord';
import { ioError, nodeFileSystem, writeFileAtomic, type FileSystem } from './_atomic';

/**
 * HAProxy's on-disk list of certificates for a `bind … crt-list <file>` or `crt <directory>`:
 * runtime `add ssl crt-list` changes are lost on reload (HAProxy never writes its files), so the
 * file must agree with what was added at runtime. Contract: ensureEntry() MUST be written to disk
 * before HAProxy is told, and MUST NOT duplicate a line.
 */
export interface CrtList {
  /** The path HAProxy knows the list by (the crt-list file, or the crt directory). */
  readonly path: string;
  /** Makes sure `certificatePath` is listed; returns true when it had to add it. */
  ensureEntry(certificatePath: string): Promise<boolean>;
  /** Whether `certificatePath` is listed (a crt directory lists every bundle inside it). */
  hasEntry(certificatePath: string): Promise<boolean>;
  /**
   * Makes sure `certificatePath` is no longer listed (every line naming it); returns true when it
   * removed a line. MUST be called only AFTER HAProxy dropped the entry at runtime, and BEFORE the
   * file is moved away, so that a reload never loads a line whose file is missing.
   */
  removeEntry(certificatePath: string): Promise<boolean>;
}

/** The first field of each crt-list line (comments and blank lines skipped). */
export function listedCertificates(crtListText: string): string[] {
  return crtListText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/)[0]!);
}

/** A crt directory, or a crt-list file with what its replacement keeps (mode, owner and group). */
type ListState = { kind: 'directory' } | ListFile;
interface ListFile {
  kind: 'file';
  text: string;
  mode: number;
  uid: number;
  gid: number;
}

/** O_NOFOLLOW: a symbolic link fails with ELOOP instead of being read; O_NONBLOCK: a FIFO cannot block the open. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const ENTRY_CHARACTERS = 'choose a --home of printable ASCII without spaces, "#", quotes, "\\", "$", "[" or "]"';
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const MAX_QUOTED_CHARS = 300;

/** Quotes a value for a message: JSON escapes, plus DEL, C1 and format characters, which JSON leaves raw. */
function quoted(value: string): string {
  const cut = value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}…` : value;
  return JSON.stringify(cut).replace(INVISIBLE, (char) => `\\u{${(char.codePointAt(0) as number).toString(16)}}`);
}

/** Options of FileCrtList. */
export interface FileCrtListOptions {
  /** Default: node:fs/promises. */
  fs?: FileSystem;
}

/**
 * A crt-list file (one certificate per line) or a crt directory (every file in it is loaded). A line
 * is written only when its path is one crt-list word (src/haproxyWord.ts). The file is replaced
 * atomically, keeping its mode, owner and group; a symbolic link at `path` is refused, never followed
 * nor replaced, since renaming over it would leave its target stale.
 */
export class FileCrtList implements CrtList {
  private readonly fs: FileSystem;

  constructor(
    readonly path: string,
    options: FileCrtListOptions = {},
  ) {
    this.fs = options.fs ?? nodeFileSystem;
  }

  /**
   * @throws StorageError when `certificatePath` is not one crt-list word (nothing is read or written),
   * when the list is a symbolic link or cannot be read or written, or a directory does not contain the bundle
   */
  async ensureEntry(certificatePath: string): Promise<boolean> {
    this.refuseEntry(certificatePath);
    const list = await this.readList();
    if (list.kind === 'directory') return this.ensureInDirectory(certificatePath);
    if (listedCertificates(list.text).includes(certificatePath)) return false;
    const separator = list.text === '' || list.text.endsWith('\n') ? '' : '\n';
    await this.replace(list, `${list.text}${separator}${certificatePath}\n`);
    return true;
  }

  /**
   * Whether the file names `certificatePath`, or, for a crt directory, whether the bundle is in it.
   * @throws StorageError when the list is a symbolic link or cannot be read
   */
  async hasEntry(certificatePath: string): Promise<boolean> {
    const list = await this.readList();
    if (list.kind === 'directory') {
      const inside = relative(this.path, certificatePath);
      return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
    }
    return listedCertificates(list.text).includes(certificatePath);
  }

  /**
   * Rewrites the file without the lines naming `certificatePath`, atomically and with its mode and
   * owner kept; comments and other lines stay as they are. A `crt` directory has no lines: moving the
   * bundle out of it is the removal, so this returns false.
   * @throws StorageError when the list is a symbolic link or cannot be read or written
   */
  async removeEntry(certificatePath: string): Promise<boolean> {
    const list = await this.readList();
    if (list.kind === 'directory') return false;
    const lines = list.text.split('\n');
    const kept = lines.filter((line) => listedCertificates(line)[0] !== certificatePath);
    if (kept.length === lines.length) return false;
    await this.replace(list, kept.join('\n'));
    return true;
  }

  /** A path that is not one word would be read by HAProxy as several (a space) or as another line (a newline). */
  private refuseEntry(certificatePath: string): void {
    const problem = crtListWordProblem(certificatePath);
    if (problem === undefined) return;
    throw new StorageError(
      'STORAGE_IO',
      `Cannot list ${quoted(certificatePath)} in HAProxy crt-list ${quoted(this.path)}: ${problem}; ${ENTRY_CHARACTERS}`,
      {
        path: this.path,
      },
    );
  }

  /** Opens without following a symbolic link, so the text, mode and owner all come from the file itself. */
  private async readList(): Promise<ListState> {
    const handle = await this.fs.open(this.path, READ_FLAGS).catch(async (error: unknown) => {
      throw (error as NodeJS.ErrnoException).code === 'ELOOP' ? await this.symlinkError(error) : this.readError(error);
    });
    try {
      const info = await handle.stat();
      if (info.isDirectory()) return { kind: 'directory' };
      if (!info.isFile()) {
        throw new StorageError(
          'STORAGE_IO',
          `Cannot read HAProxy crt-list ${quoted(this.path)}: expected a crt-list file or a crt directory`,
          { path: this.path },
        );
      }
      const text = await handle.readFile('utf8');
      return { kind: 'file', text, mode: info.mode & 0o777, uid: info.uid, gid: info.gid };
    } catch (error) {
      throw error instanceof StorageError ? error : this.readError(error);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** Checks again right before the rename: a symbolic link planted since the read is refused, not replaced. */
  private async replace(list: ListFile, text: string): Promise<void> {
    const info = await this.fs.lstat(this.path).catch(() => undefined);
    if (info?.isSymbolicLink() === true) throw await this.symlinkError(undefined);
    await this.removeOwnTemps();
    await writeFileAtomic(this.path, text, { mode: list.mode, owner: { uid: list.uid, gid: list.gid }, fs: this.fs });
  }

  /**
   * Deletes the temps a killed write of this crt-list left beside it (`.<base>.tmp-<hex>`, the name
   * writeFileAtomic() uses): writers hold the home lock, so none is live. Nothing else in the
   * directory is touched; a failure is ignored (the write itself reports a broken directory).
   */
  private async removeOwnTemps(): Promise<void> {
    const dir = dirname(this.path);
    const prefix = `.${basename(this.path)}.tmp-`;
    for (const entry of await this.fs.readdir(dir).catch(() => [] as string[])) {
      if (entry.startsWith(prefix) && /^[0-9a-f]+$/.test(entry.slice(prefix.length))) {
        await this.fs.unlink(join(dir, entry)).catch(() => undefined);
      }
    }
  }

  private readError(error: unknown): StorageError {
    return ioError('read HAProxy crt-list', this.path, error);
  }

  /** ELOOP also means too many links in the directories above; only a link at `path` itself gets this message. */
  private async symlinkError(cause: unknown): Promise<StorageError> {
    const info = await this.fs.lstat(this.path).catch(() => undefined);
    if (info?.isSymbolicLink() !== true) return this.readError(cause);
    const target = await this.fs.realpath(this.path).catch(() =>
      this.fs.readlink(this.path).then(
        (link) => resolve(dirname(this.path), link),
        () => this.path,
      ),
    );
    return new StorageError(
      'STORAGE_IO',
      `Cannot use HAProxy crt-list ${quoted(this.path)}: it is a symbolic link to ${quoted(target)}, which an update would replace with a regular file; point --haproxy-crt-list at the real file ${quoted(target)}`,
      { path: this.path, cause },
    );
  }

  private async ensureInDirectory(certificatePath: string): Promise<boolean> {
    const inside = relative(this.path, certificatePath);
    if (inside.startsWith('..') || isAbsolute(inside) || inside.includes('/')) {
      throw new StorageError(
        'STORAGE_IO',
        `Cannot use crt directory "${this.path}": the bundle "${certificatePath}" is not in it; point HAProxy's crt at the bundles directory (<home>/haproxy) or use a crt-list file`,
        { path: this.path },
      );
    }
    return false;
  }
}
