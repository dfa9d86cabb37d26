import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { fetchIssuanceRoots } from './_start';
import type { Peers, PeersDescription } from './_types';
import type { PeerVersions } from './_versions';

/** Env var through which global setup tells test workers where the shared peers are described. */
export const PEERS_FILE_ENV = 'HAPROXY_ACME_TEST_PEERS_FILE';

/** What global setup wrote: the shared peers. */
export type SharedPeersState = { peers: PeersDescription };

/** The JSON-serialisable fields of `peers`. */
export function describePeers(peers: Peers): PeersDescription {
  const { fetchIssuanceRoots: _fetch, stop: _stop, ...description } = peers;
  return description;
}

/** Writes `state` to a fresh temp file and points `PEERS_FILE_ENV` at it; returns the file path. */
export function publishSharedState(state: SharedPeersState): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-acme-shared-peers-'));
  const file = path.join(dir, 'peers.json');
  fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  // Workers are forked after global setup, so they inherit this variable.
  process.env[PEERS_FILE_ENV] = file;
  return file;
}

/** Reads the state global setup published. */
export function readSharedState(): SharedPeersState {
  const file = process.env[PEERS_FILE_ENV];
  if (file === undefined || file === '') {
    throw new Error(
      `Cannot find the shared test peers: "${PEERS_FILE_ENV}" is not set; run the test in the jest "integration" project (npx jest --selectProjects integration)`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SharedPeersState;
}

function sharedPeers(description: PeersDescription): Peers {
  return {
    ...description,
    fetchIssuanceRoots: () => fetchIssuanceRoots(description.managementUrl, description.caBundlePath),
    stop: () => Promise.reject(new Error('Cannot stop the shared test peers from a test: global teardown stops them')),
  };
}

/** The peers global setup started for the whole integration run. Their `stop()` rejects: teardown owns them. */
export function integrationPeers(): Peers {
  return sharedPeers(readSharedState().peers);
}

/**
 * Which pebble, pebble-challtestsrv and HAProxy this run uses (the `ACME_TEST_*` variables, else
 * PATH) and what its pebble offers: a test asserts the behaviour of the version it runs against.
 */
export function peerVersions(): PeerVersions {
  return readSharedState().peers.versions;
}

/** `describe` with an accessor for the shared peers; call it in `beforeAll` or in a test. */
export function describeWithPeers(name: string, fn: (peers: () => Peers) => void): void {
  const peers = integrationPeers();
  describe(name, () => fn(() => peers));
}
