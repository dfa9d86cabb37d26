import { isIPv4, isIPv6 } from 'node:net';
import { isHaproxyWord } from '../haproxyWord';

/** A port or an inclusive range of ports (`8000-8010`), as a bind address may give. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** A HAProxy `bind` address list as validated: the text to write and every port it opens. */
export interface BindText {
  /** As written after `bind` in haproxy.cfg, e.g. `*:80`, `:::443`, `192.0.2.7:80,[2001:db8::7]:80`. */
  readonly text: string;
  /** The ports of its addresses, in order. */
  readonly ports: readonly PortRange[];
}

/** At most this many addresses in one bind: more is a typo, not a configuration. */
export const MAX_BIND_ADDRESSES = 16;

export const BIND_DETAIL =
  'expected ADDR:PORT or a comma list of them, e.g. "*:80", ":80", "0.0.0.0:80", "192.0.2.7:80", "[::]:80", ":::80", ' +
  '"ipv6@:::80" or "*:8080-8081"; bind settings such as "ssl" are not options';

const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

function isHostname(host: string): boolean {
  return host.length <= 253 && host.split('.').every((label) => HOSTNAME_LABEL.test(label)) && !/^[0-9.]+$/.test(host);
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function parsePortRange(text: string): PortRange | undefined {
  const [firstText, lastText, extra] = text.split('-');
  if (extra !== undefined || firstText === undefined) return undefined;
  const first = parsePort(firstText);
  const last = lastText === undefined ? first : parsePort(lastText);
  if (first === undefined || last === undefined || last < first) return undefined;
  return { first, last };
}

/** The host part is fine for the address family the prefix names (none: any). */
function hostFits(host: string, family: 'ipv4' | 'ipv6' | undefined): boolean {
  if (host === '' || host === '*') return true;
  if (host.startsWith('[') && host.endsWith(']')) return family !== 'ipv4' && isIPv6(host.slice(1, -1));
  if (isIPv6(host)) return family !== 'ipv4';
  if (isIPv4(host)) return family !== 'ipv6';
  return isHostname(host);
}

/**
 * One address of a bind (pure): `[ipv4@|ipv6@]HOST:PORT[-PORT]`, where HOST is empty, `*`, an IPv4
 * address, an IPv6 address with or without brackets (`:::80` is HAProxy's IPv6 wildcard on port 80) or
 * a host name. The port is what follows the last colon.
 */
function parseAddress(text: string): PortRange | undefined {
  const prefix = /^(ipv4|ipv6)@/.exec(text);
  const family = prefix === null ? undefined : (prefix[1] as 'ipv4' | 'ipv6');
  const rest = prefix === null ? text : text.slice(prefix[0].length);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = rest.slice(0, colon);
  const ports = parsePortRange(rest.slice(colon + 1));
  return ports !== undefined && hostFits(host, family) ? ports : undefined;
}

/**
 * Parses the value of a bind option (pure): every form the reference deployment's `bind ${…}` accepted
 * that is one HAProxy word, i.e. one address or a comma list of them, and nothing else. Bind settings
 * (`ssl`, `crt`, `v4v6`, …) are the renderer's to write, so a value can never add an argument, a
 * directive or a line (see src/haproxyWord.ts).
 */
export function parseBindText(value: string): BindText | undefined {
  if (!isHaproxyWord(value)) return undefined;
  const parts = value.split(',');
  if (parts.length > MAX_BIND_ADDRESSES) return undefined;
  const ports: PortRange[] = [];
  for (const part of parts) {
    const range = parseAddress(part);
    if (range === undefined) return undefined;
    ports.push(range);
  }
  return { text: value, ports };
}

/** Whether two binds open a port in common (pure); hosts are ignored, since `*` covers every address. */
export function sharesPort(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  return a.some((x) => b.some((y) => x.first <= y.last && y.first <= x.last));
}

/** Whether a bind opens `port` (pure). */
export function opensPort(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((range) => range.first <= port && port <= range.last);
}
