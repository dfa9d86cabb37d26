import { createServer } from 'node:net';
import { ConfigError } from '../errors';

/** The range Immich Distribution's configure hook searches for `acme-port` (`seq 34000 36000`). */
export const ACME_PORT_RANGE: Readonly<{ first: number; last: number }> = Object.freeze({ first: 34000, last: 36000 });

/** Options of pickAcmePort(). */
export interface PickAcmePortOptions {
  /** Ports never to pick, e.g. HAProxy's bind ports, which may be free only because HAProxy is stopped. Default: none. */
  exclude?: readonly number[];
  /** First port to try. Default: 34000. */
  first?: number;
  /** Last port to try. Default: 36000. */
  last?: number;
}

/**
 * The first port from `first` to `last` that `isPortFree` accepts, tried in order (at most 2001 probes
 * with the defaults), like the reference deployment.
 * @throws ConfigError when every port in the range is taken or excluded.
 */
export async function pickAcmePort(isPortFree: (port: number) => Promise<boolean>, options: PickAcmePortOptions = {}): Promise<number> {
  const first = options.first ?? ACME_PORT_RANGE.first;
  const last = options.last ?? ACME_PORT_RANGE.last;
  const exclude = new Set(options.exclude ?? []);
  for (let port = first; port <= last; port += 1) {
    if (exclude.has(port)) continue;
    if (await isPortFree(port)) return port;
  }
  throw new ConfigError(
    `Cannot pick acme-port: every TCP port from ${first} to ${last} on 127.0.0.1 is in use; set one with "snap set <snap> acme-port=PORT"`,
    { source: 'snap option acme-port' },
  );
}

/**
 * True when a TCP listener can bind `host:port` right now (it is closed again at once). A bind, not a
 * connect, so a port held by a listener on 0.0.0.0 counts as taken too.
 */
export function isTcpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
