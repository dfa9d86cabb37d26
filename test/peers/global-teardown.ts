/** Jest globalTeardown of the integration project: stops the shared peers and removes the state file. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { SHARED_PEERS_KEY, type SharedPeersHandle } from './_global';
import { describePeerVersions } from './_versions';

/** Stops what global setup started; safe when setup failed half-way. */
export default async function globalTeardown(): Promise<void> {
  const handle = (globalThis as Record<string, unknown>)[SHARED_PEERS_KEY] as SharedPeersHandle | undefined;
  if (handle === undefined) return;
  if (handle.peers !== undefined)
    console.log(`\nRan against test peers: ${describePeerVersions(handle.peers.versions)}`);
  await handle.peers?.stop();
  if (handle.stateFile !== undefined) await fs.rm(path.dirname(handle.stateFile), { recursive: true, force: true });
  delete (globalThis as Record<string, unknown>)[SHARED_PEERS_KEY];
}
