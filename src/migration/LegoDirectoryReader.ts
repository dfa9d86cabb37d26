import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ConfigError, messageOf } from '../errors';
import { isForeignAccountFolder } from '../storage';
import {
  classifyCertificateFile,
  MAX_LEGO_DIR_ENTRIES,
  MAX_LEGO_FILE_BYTES,
  type LegoAccountFiles,
  type LegoCertificateFiles,
  type LegoFile,
  type LegoProblem,
  type LegoSnapshot,
} from './_legoFiles';
import { describeValue } from './_text';

/** The node:fs/promises calls the reader makes. */
export type LegoReaderFileSystem = Pick<typeof fsp, 'stat' | 'lstat' | 'readdir' | 'realpath' | 'open'>;

/** Options of LegoDirectoryReader. */
export interface LegoDirectoryReaderOptions {
  /** Default: node:fs/promises. */
  fs?: LegoReaderFileSystem;
}

type Entry = { kind: 'file' | 'dir'; real: string } | { kind: 'missing' } | { kind: 'refused'; message: string };

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/**
 * Reads a lego directory into a LegoSnapshot without trusting it: only regular files, at most
 * 64 KiB each, at most 4096 entries a directory, and symbolic links only when they stay inside
 * it. Writes nothing. What it refuses is reported per file in `problems`.
 */
export class LegoDirectoryReader {
  private readonly fs: LegoReaderFileSystem;

  constructor(options: LegoDirectoryReaderOptions = {}) {
    this.fs = options.fs ?? fsp;
  }

  /**
   * Reads `accounts/` and `certificates/` of the lego directory `path`.
   * @throws ConfigError (source `--path`) when `path` is not a readable directory holding either of them
   */
  async read(path: string): Promise<LegoSnapshot> {
    const root = await this.resolveRoot(path);
    const session = new ReadSession(this.fs, root);
    const [accounts, certificates] = await Promise.all([session.readAccounts(), session.readCertificates()]);
    if (accounts === undefined && certificates === undefined) {
      throw new ConfigError(
        `Cannot import lego directory "${path}": it holds neither "accounts" nor "certificates"; pass the directory lego's --path pointed at`,
        { source: '--path' },
      );
    }
    return {
      root: path,
      accounts: accounts ?? [],
      certificates: certificates ?? [],
      problems: session.problems,
      ignored: session.ignored,
    };
  }

  /**
   * Reads lego's entries of a home that lego shares with us (lego's `--path` is our `--home`):
   * the account folders named after an email under `accounts/<server>/`, and the regular files of
   * `certificates/`. Our own entries (the symlinks and `.versions` of `certificates/`, our account
   * folders) are skipped without a word; anything else lego would not write there (a directory
   * named like a lego file) is listed in `ignored`. Undefined when the home holds none of lego's
   * entries. Writes nothing.
   * @throws ConfigError (source `--home`) when `home` is not a readable directory
   */
  async readHome(home: string): Promise<LegoSnapshot | undefined> {
    const root = await this.resolveRoot(home, '--home');
    const session = new ReadSession(this.fs, root, true);
    const [accounts, certificates] = await Promise.all([session.readAccounts(), session.readCertificates()]);
    if ((accounts ?? []).length === 0 && (certificates ?? []).length === 0 && session.problems.length === 0)
      return undefined;
    return {
      root: home,
      accounts: accounts ?? [],
      certificates: certificates ?? [],
      problems: session.problems,
      ignored: session.ignored,
    };
  }

  private async resolveRoot(path: string, source = '--path'): Promise<string> {
    try {
      const real = await this.fs.realpath(path);
      if (!(await this.fs.stat(real)).isDirectory())
        throw new ConfigError(`Cannot import lego directory "${path}": it is not a directory`, { source });
      return real;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const detail = code(error) === 'ENOENT' ? 'it does not exist' : messageOf(error);
      throw new ConfigError(`Cannot import lego directory "${path}": ${detail}`, { source, cause: error });
    }
  }
}

/** One read of one directory: collects problems and ignored files as it goes. */
class ReadSession {
  readonly problems: LegoProblem[] = [];
  readonly ignored: string[] = [];

  constructor(
    private readonly fs: LegoReaderFileSystem,
    private readonly root: string,
    /** The root is our --home: only lego's own entries are read (see LegoDirectoryReader.readHome). */
    private readonly inHome = false,
  ) {}

  async readAccounts(): Promise<LegoAccountFiles[] | undefined> {
    const servers = await this.list('accounts');
    if (servers === undefined) return undefined;
    const accounts: LegoAccountFiles[] = [];
    for (const server of servers) {
      const folders = await this.listFolder(`accounts/${server}`);
      for (const folder of folders ?? []) {
        if (this.inHome && !isForeignAccountFolder(folder)) continue;
        const dir = `accounts/${server}/${folder}`;
        if ((await this.inspect(dir)).kind === 'file') {
          this.ignored.push(dir);
          continue;
        }
        const accountJson = await this.readFile(`${dir}/account.json`);
        const key = await this.readFile(`${dir}/keys/${folder}.key`);
        accounts.push({
          server,
          folder,
          ...(accountJson === undefined ? {} : { accountJson }),
          ...(key === undefined ? {} : { key }),
        });
      }
    }
    return accounts;
  }

  async readCertificates(): Promise<LegoCertificateFiles[] | undefined> {
    const names = await this.list('certificates');
    if (names === undefined) return undefined;
    const byBase = new Map<string, LegoCertificateFiles>();
    for (const name of names) {
      const path = `certificates/${name}`;
      const kind = classifyCertificateFile(name);
      // In a home, names that cannot be lego's (our links, .versions) are not even looked at.
      if (this.inHome && (name.startsWith('.') || kind === undefined || !(await this.isLegoFile(path)))) continue;
      if (kind === undefined || kind.role === undefined) {
        this.ignored.push(path);
        continue;
      }
      const file = await this.readFile(path);
      if (file === undefined) continue;
      const group = byBase.get(kind.base) ?? { base: kind.base };
      group[kind.role] = file;
      byBase.set(kind.base, group);
    }
    return [...byBase.values()];
  }

  /**
   * In a home: whether an entry of `certificates/` is lego's, which are regular files only. Our
   * symlinks and `.versions` are skipped silently; anything else (a directory named `x.crt`) is ignored.
   */
  private async isLegoFile(relative: string): Promise<boolean> {
    if (relative.startsWith('certificates/.')) return false;
    try {
      const stats = await this.fs.lstat(join(this.root, ...relative.split('/')));
      if (stats.isFile()) return true;
      if (!stats.isSymbolicLink()) this.ignored.push(relative);
    } catch (error) {
      if (code(error) !== 'ENOENT') this.refuse(relative, `it cannot be read: ${messageOf(error)}`);
    }
    return false;
  }

  /** Like list(), but a regular file where lego keeps a folder (a stray `.DS_Store`) is only ignored. */
  private async listFolder(relative: string): Promise<string[] | undefined> {
    if ((await this.inspect(relative)).kind !== 'file') return this.list(relative);
    this.ignored.push(relative);
    return undefined;
  }

  /** Entry names of a directory, sorted; undefined when it does not exist or was refused. */
  private async list(relative: string): Promise<string[] | undefined> {
    const entry = await this.inspect(relative);
    if (entry.kind === 'missing') return undefined;
    if (entry.kind === 'refused') return this.refuse(relative, entry.message);
    if (entry.kind !== 'dir') return this.refuse(relative, 'it is not a directory');
    try {
      const names = (await this.fs.readdir(entry.real)).sort();
      // In a home, certificates/ also holds our links and .versions: only lego's names count.
      const counted =
        this.inHome && relative === 'certificates'
          ? names.filter((name) => !name.startsWith('.') && classifyCertificateFile(name) !== undefined)
          : names;
      if (counted.length > MAX_LEGO_DIR_ENTRIES)
        return this.refuse(relative, `it holds ${counted.length} entries; the limit is ${MAX_LEGO_DIR_ENTRIES}`);
      return names;
    } catch (error) {
      return this.refuse(relative, `it cannot be listed: ${messageOf(error)}`);
    }
  }

  /** The text of a regular file of at most MAX_LEGO_FILE_BYTES; undefined when missing or refused. */
  private async readFile(relative: string): Promise<LegoFile | undefined> {
    const entry = await this.inspect(relative);
    if (entry.kind === 'missing') return undefined;
    if (entry.kind === 'refused') return this.refuse(relative, entry.message);
    if (entry.kind !== 'file') return this.refuse(relative, 'it is not a regular file');
    let handle: fsp.FileHandle | undefined;
    try {
      // O_NONBLOCK: a FIFO swapped in after the check must not hang the read.
      handle = await this.fs.open(entry.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const stats = await handle.stat();
      if (!stats.isFile()) return this.refuse(relative, 'it is not a regular file');
      const buffer = Buffer.alloc(MAX_LEGO_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_LEGO_FILE_BYTES)
        return this.refuse(relative, `it is larger than ${MAX_LEGO_FILE_BYTES} bytes, more than any lego file`);
      return { path: relative, text: buffer.subarray(0, bytesRead).toString('utf8') };
    } catch (error) {
      return this.refuse(relative, `it cannot be read: ${messageOf(error)}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  /** What a path is, following a symbolic link only when its target stays inside the lego directory. */
  private async inspect(relative: string): Promise<Entry> {
    const full = join(this.root, ...relative.split('/'));
    try {
      // realpath resolves every component, so a linked parent (`keys -> /etc`) is caught too.
      const real = await this.fs.realpath(full);
      if (real !== this.root && !real.startsWith(`${this.root}${sep}`)) {
        return {
          kind: 'refused',
          message: `it leads through a symbolic link to ${describeValue(real)}, outside the lego directory`,
        };
      }
      const stats = await this.fs.stat(real);
      if (stats.isDirectory()) return { kind: 'dir', real };
      if (stats.isFile()) return { kind: 'file', real };
      return { kind: 'refused', message: 'it is neither a regular file nor a directory' };
    } catch (error) {
      if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return { kind: 'missing' };
      if (code(error) === 'ELOOP') return { kind: 'refused', message: 'it is a symbolic link loop' };
      return { kind: 'refused', message: `it cannot be read: ${messageOf(error)}` };
    }
  }

  private refuse(file: string, message: string): undefined {
    this.problems.push({ file, message });
    return undefined;
  }
}
