import { isIPv6 } from 'node:net';

/** Where the HTTP-01 responder listens: a TCP host and port, or a unix socket HAProxy connects to. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Formats an address for messages: `127.0.0.1:34000`, `[::1]:34000` or `unix:/run/acme.sock`. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = isIPv6(address.host) ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
