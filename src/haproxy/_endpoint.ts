import { isIPv4, isIPv6 } from 'node:net';

import { ConfigError } from '../errors';

/** Where a HAProxy runtime (stats) or master socket listens. */
export type RuntimeEndpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Options of `parseRuntimeEndpoint()`. */
export interface ParseRuntimeEndpointOptions {
  /** Accept a TCP socket on a non-loopback address. Default: false (it has no authentication). */
  allowRemote?: boolean;
  /** Named in errors as the origin of the value. Default: `--haproxy-socket`. */
  source?: string;
}

const FORMS = '"/path", "unix@/path", "ipv4@127.0.0.1:9999" or "ipv6@[::1]:9999"';

/**
 * Parses a socket address the way HAProxy writes them: `/path`, `unix@/path`,
 * `ipv4@127.0.0.1:9999`, `ipv6@[::1]:9999` (also `127.0.0.1:9999`, `[::1]:9999`). Pure.
 * @throws ConfigError for any other form, a relative path, a bad port, a host name, or a
 * non-loopback TCP address without `allowRemote`.
 */
export function parseRuntimeEndpoint(text: string, options: ParseRuntimeEndpointOptions = {}): RuntimeEndpoint {
  const source = options.source ?? '--haproxy-socket';
  const fail = (detail: string): ConfigError => new ConfigError(`Cannot use HAProxy socket "${text}" from ${source}: ${detail}`, { source });
  if (/[\0\r\n]/.test(text)) throw fail('it contains a line break or NUL');
  if (text.startsWith('unix@') || text.startsWith('/')) {
    const socketPath = text.startsWith('unix@') ? text.slice('unix@'.length) : text;
    if (!socketPath.startsWith('/')) throw fail('a unix socket path must be absolute');
    return { kind: 'unix', path: socketPath };
  }
  const endpoint = parseTcp(text, fail);
  if (!options.allowRemote && !isLoopback(endpoint.host)) {
    throw fail(
      `a TCP runtime socket has no authentication, so anyone who can reach "${endpoint.host}" controls HAProxy; ` +
        'bind it to 127.0.0.1 or use a unix socket, or pass --haproxy-allow-remote',
    );
  }
  return endpoint;
}

/** `[ipv4@|ipv6@]<ip>:<port>` or `[ipv6@][<ip>]:<port>`. */
function parseTcp(text: string, fail: (detail: string) => ConfigError): { kind: 'tcp'; host: string; port: number } {
  const match = /^(?:(ipv4|ipv6)@)?(?:\[([^\]]*)\]|([^\s[\]@]*)):([^:]*)$/.exec(text);
  if (!match) throw fail(`expected ${FORMS}`);
  const [, family = '', bracketed, bare = '', portText = ''] = match;
  const host = bracketed ?? bare;
  const families: Record<string, [string, (host: string) => boolean]> = {
    ipv4: ['IPv4', isIPv4],
    ipv6: ['IPv6', isIPv6],
    '': ['IP', (candidate) => isIPv4(candidate) || isIPv6(candidate)],
  };
  const [label, isFamily] = families[family] ?? ['IP', () => false];
  if (!isFamily(host)) throw fail(`"${host}" is not an ${label} address (host names are not resolved); expected ${FORMS}`);
  if (bracketed === undefined && isIPv6(host)) throw fail(`write an IPv6 address in brackets, e.g. "ipv6@[${host}]:${portText}"`);
  return { kind: 'tcp', host, port: parsePort(portText, fail) };
}

function parsePort(portText: string, fail: (detail: string) => ConfigError): number {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw fail(`the port "${portText}" must be an integer from 1 to 65535`);
  return port;
}

/** Whether `host` (an IP literal) is a loopback address: 127.0.0.0/8, `::1` or `::ffff:127.x.y.z`. */
function isLoopback(host: string): boolean {
  if (isIPv4(host)) return host.startsWith('127.');
  // WHATWG URL parsing compresses IPv6: "0:0::0001" → "[::1]", "::ffff:127.0.0.1" → "[::ffff:7f00:1]".
  const canonical = new URL(`http://[${host}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** Prints an endpoint the HAProxy way: `unix@/run/haproxy/admin.sock`, `ipv4@127.0.0.1:9999`, `ipv6@[::1]:9999`. */
export function formatRuntimeEndpoint(endpoint: RuntimeEndpoint): string {
  if (endpoint.kind === 'unix') return `unix@${endpoint.path}`;
  return isIPv6(endpoint.host) ? `ipv6@[${endpoint.host}]:${endpoint.port}` : `ipv4@${endpoint.host}:${endpoint.port}`;
}

/** The socat address of an endpoint, for commands we print in error messages. */
export function socatAddress(endpoint: RuntimeEndpoint): string {
  if (endpoint.kind === 'unix') return `UNIX-CONNECT:${endpoint.path}`;
  return isIPv6(endpoint.host) ? `TCP6:[${endpoint.host}]:${endpoint.port}` : `TCP4:${endpoint.host}:${endpoint.port}`;
}
