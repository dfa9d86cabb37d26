/**
 * Real peers for integration tests, the demo and the benchmark: pebble (with pebble-challtestsrv
 * as its DNS) and HAProxy, all on 127.0.0.1 with free ports picked at runtime.
 *
 * Topology: pebble's VA resolves every name to 127.0.0.1 and validates HTTP-01 on HAProxy's HTTP
 * frontend, which routes `/.well-known/acme-challenge/` to `responderPort`, where our responder
 * listens during an order (the harness does not start it), exactly as in production.
 */
import { missingBinaryHint, PEER_BINARIES, resolveBinary } from './_binaries';

export { freePort } from './_ports';
export { fetchIssuanceRoots, startPeers } from './_start';
export { describeWithPeers, integrationPeers, peerVersions, PEERS_FILE_ENV } from './_shared';
export { PEER_BINARY_ENV } from './_binaries';
export {
  describePeerVersions,
  haproxyAtLeast,
  haproxyVersionOf,
  type HaproxyVersion,
  type PebbleVersion,
  type PeerVersions,
} from './_versions';
export type { Peers, PeersDescription, StartPeersOptions } from './_types';

/** Which of pebble, pebble-challtestsrv, haproxy and openssl cannot be found (on PATH, /usr/sbin, or where their `ACME_TEST_*` variable says). */
export function findMissingPeerBinaries(): string[] {
  return PEER_BINARIES.filter((name) => resolveBinary(name) === undefined);
}

/** Why each of `names` is missing, one sentence each (the variable that names a wrong file, or how to install it). */
export function explainMissingPeerBinaries(names: readonly string[]): string {
  return names.map(missingBinaryHint).join('; ');
}
export { startStandaloneHaproxy, type StandaloneHaproxy, type StandaloneHaproxyOptions } from './_haproxy';
export { generateCert, servedSerial, type GenerateCertOptions, type TestCert } from './_tls';
export {
  LETS_ENCRYPT_PROFILES,
  startAriProxy,
  type AriProxy,
  type AriProxyOptions,
  type ProxyProblem,
  type RecordedOrder,
} from './_ari-proxy';
export { bridgeIpv6Loopback, hasIpv6Loopback, type Ipv6LoopbackBridge } from './_ipv6';
export {
  FAULT_MAX_DELAY_MS,
  startFaultProxy,
  type AcmeResource,
  type Fault,
  type FaultProxy,
  type FaultProxyRequest,
  type FaultRule,
} from './_fault-proxy';
