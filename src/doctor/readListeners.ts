import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { parseProcNetTcp, type TcpListener } from './parseProcNetTcp';

/** Where Linux lists TCP sockets. */
export const PROC_NET_TCP_FILES: readonly string[] = Object.freeze(['/proc/net/tcp', '/proc/net/tcp6']);

/** Options of readListeners(). */
export interface ReadListenersOptions {
  /** Default: PROC_NET_TCP_FILES. */
  files?: readonly string[];
  /** Default: node:fs/promises readFile as UTF-8. */
  readFile?: (path: string) => Promise<string>;
  /** Default: this machine's byte order (`os.endianness()`). */
  littleEndian?: boolean;
}

/** Listening sockets and which files could be read. */
export interface ListenerScan {
  listeners: TcpListener[];
  read: string[];
  unreadable: string[];
}

/**
 * Reads the listening TCP sockets of this network namespace from /proc. A missing file (tcp6 with
 * IPv6 disabled, or no /proc at all) is reported in `unreadable`, never thrown.
 */
export async function readListeners(options: ReadListenersOptions = {}): Promise<ListenerScan> {
  const read = options.readFile ?? ((path: string) => readFile(path, 'utf8'));
  const littleEndian = options.littleEndian ?? endianness() === 'LE';
  const scan: ListenerScan = { listeners: [], read: [], unreadable: [] };
  for (const file of options.files ?? PROC_NET_TCP_FILES) {
    try {
      scan.listeners.push(...parseProcNetTcp(await read(file), { littleEndian }));
      scan.read.push(file);
    } catch {
      scan.unreadable.push(file);
    }
  }
  return scan;
}
