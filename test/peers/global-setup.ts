/**
 * Jest globalSetup of the integration project: starts ONE set of peers for the whole run and
 * publishes its description for the test workers (see `integrationPeers()`).
 */
import * as fs from 'node:fs/promises';

import { describePeers, publishSharedState } from './_shared';
import { SHARED_PEERS_KEY, type SharedPeersHandle } from './_global';
import { describePeerVersions, explainMissingPeerBinaries, findMissingPeerBinaries, startPeers } from './index';

/**
 * Starts the shared peers. Missing binaries fail the run, locally as in CI: an integration test
 * that skips proves nothing, and `bash scripts/test.sh` installs them.
 */
export default async function globalSetup(): Promise<void> {
  const handle: SharedPeersHandle = {};
  (globalThis as Record<string, unknown>)[SHARED_PEERS_KEY] = handle;
  const missing = findMissingPeerBinaries();
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    throw new Error(
      `Cannot start the integration test peers: missing ${names}: ${explainMissingPeerBinaries(missing)}`,
    );
  }
  const startedAt = Date.now();
  const logDir = process.env.HAPROXY_ACME_TEST_PEERS_LOG_DIR;
  handle.peers = await startPeers(logDir ? { logDir } : {});
  handle.stateFile = publishSharedState({ peers: describePeers(handle.peers) });
  console.log(`\nStarted test peers in ${Date.now() - startedAt} ms: ${handle.peers.directoryUrl}`);
  console.log(`Test peers: ${describePeerVersions(handle.peers.versions)}`);
  // scripts/test-matrix.sh names each run's summary line after the peers it ran against.
  const summaryFile = process.env.ACME_TEST_PEERS_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== '')
    await fs.writeFile(summaryFile, describePeerVersions(handle.peers.versions, { paths: false }));
}
