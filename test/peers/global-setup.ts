/**
 * Jest globalSetup of the integration project: starts ONE set of peers for the whole run and
 * publishes its description for the test workers (see `integrationPeers()`).
 */
import { describePeers, publishSharedState } from './_shared';
import { SHARED_PEERS_KEY, type SharedPeersHandle } from './_global';
import { findMissingPeerBinaries, startPeers } from './index';

/** Whether we run in CI, where missing peers MUST fail the run rather than skip it. */
function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** Starts the shared peers, or (outside CI, when binaries are missing) marks the run as skipped. */
export default async function globalSetup(): Promise<void> {
  const handle: SharedPeersHandle = {};
  (globalThis as Record<string, unknown>)[SHARED_PEERS_KEY] = handle;
  const missing = findMissingPeerBinaries();
  if (missing.length > 0) {
    const reason = `missing ${missing.map((name) => `"${name}"`).join(', ')}; install with \`apt-get install pebble haproxy openssl\``;
    if (isCi()) throw new Error(`Cannot start the integration test peers in CI: ${reason}`);
    console.warn(`\nIntegration tests are SKIPPED: ${reason}\n`);
    handle.stateFile = publishSharedState({ skipped: true, reason });
    return;
  }
  const startedAt = Date.now();
  const logDir = process.env.HAPROXY_ACME_TEST_PEERS_LOG_DIR;
  handle.peers = await startPeers(logDir ? { logDir } : {});
  handle.stateFile = publishSharedState({ skipped: false, peers: describePeers(handle.peers) });
  console.log(`\nStarted test peers in ${Date.now() - startedAt} ms: ${handle.peers.directoryUrl}`);
}
