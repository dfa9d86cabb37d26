import { isIPv6 } from 'node:net';

/**
 * Where a HAProxy runtime (stats) or master socket listens. User input is parsed and checked
 * (loopback only unless allowed) by config/, whose RuntimeSocketAddress has this same shape.
 */
export type RuntimeEndpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

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
