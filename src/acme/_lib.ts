import type * as AcmeClient from 'acme-client';

/**
 * acme-client, loaded on first use rather than at start-up: it pulls in axios, node-forge and
 * @peculiar/x509 (Node goes from 41 to 68 MB RSS), which `--help`, `list`, `deploy` and the
 * daemon's idle parent never need.
 */
export function acmeLib(): typeof AcmeClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return require('acme-client') as typeof AcmeClient;
}
