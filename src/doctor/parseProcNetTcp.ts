/** One listening TCP socket from `/proc/net/tcp` or `/proc/net/tcp6`. */
export interface TcpListener {
  family: 'ipv4' | 'ipv6';
  /** Dotted quad, or the RFC 5952 form of an IPv6 address (`::`, `::1`, `::ffff:7f00:1`). */
  address: string;
  port: number;
  /** Owner of the socket. */
  uid: number;
}

/** Options of parseProcNetTcp(). */
export interface ParseProcNetTcpOptions {
  /**
   * The kernel prints each 32-bit word of an address in host byte order. Default: true (x86,
   * arm64); pass `os.endianness() === 'LE'`.
   */
  littleEndian?: boolean;
}

/** TCP_LISTEN in the kernel's `include/net/tcp_states.h`, as printed in the `st` column. */
const LISTEN_STATE = '0A';
const LINE =
  /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s/;

/** The 4 bytes of one printed 32-bit word, in address order. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

function ipv6Text(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // WHATWG URL serialises IPv6 hosts in the RFC 5952 form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function addressOf(hex: string, littleEndian: boolean): { family: 'ipv4' | 'ipv6'; address: string } {
  if (hex.length === 8) return { family: 'ipv4', address: wordBytes(hex, littleEndian).join('.') };
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8), littleEndian));
  return { family: 'ipv6', address: ipv6Text(bytes) };
}

/**
 * Parses `/proc/net/tcp` or `/proc/net/tcp6` text into its listening sockets (pure). The header
 * and any line that does not have the kernel's layout are skipped. Sample line (127.0.0.1:8080,
 * listening, uid 1000): `   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 …`.
 */
export function parseProcNetTcp(text: string, options: ParseProcNetTcpOptions = {}): TcpListener[] {
  const littleEndian = options.littleEndian ?? true;
  const listeners: TcpListener[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (match === null || match[3]!.toUpperCase() !== LISTEN_STATE) continue;
    const port = parseInt(match[2]!, 16);
    const uid = Number(match[4]);
    if (port === 0 || !Number.isSafeInteger(uid)) continue;
    listeners.push({ ...addressOf(match[1]!, littleEndian), port, uid });
  }
  return listeners;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8 (`::ffff:7f00:1`), as parseProcNetTcp() prints them. */
export function isLoopbackAddress(address: string): boolean {
  if (/^127\.\d+\.\d+\.\d+$/.test(address)) return true;
  if (address === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(address);
  return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
}
