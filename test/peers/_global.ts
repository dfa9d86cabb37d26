import type { Peers } from './_types';

/** Key on globalThis where global setup leaves the shared peers for global teardown. */
export const SHARED_PEERS_KEY = '__haproxyAcmeSharedPeers';

/** What global setup leaves for global teardown. */
export interface SharedPeersHandle {
  peers?: Peers;
  stateFile?: string;
}
