/**
 * Real peers for integration tests, the demo and the benchmark: pebble (with pebble-challtestsrv
 * as its DNS) and HAProxy, all on 127.0.0.1 with free ports picked at runtime.
 *
 * Topology: pebble's VA resolves every name to 127.0.0.1 and validates HTTP-01 on HAProxy's HTTP
 * frontend, which routes `/.well-known/acme-challenge/` to `responderPort`, where our responder
 * listens during an order (the harness does not start it), exactly as in production.
 */
import { PEER_BINARIES, resolveBinary } from './_binaries';

export { freePort } from './_ports';
export { fetchIssuanceRoots, startPeers } from './_start';
export { describeWithPeers, integrationPeers, PEERS_FILE_ENV } from './_shared';
export type { Peers, PeersDescription, StartPeersOptions } from './_types';

/** Which of pebble, pebble-challtestsrv, haproxy and openssl are on neither PATH nor /usr/sbin. */
export function findMissingPeerBinaries(): string[] {
  return PEER_BINARIES.filter((name) => resolveBinary(name) === undefined);
}
export { startStandaloneHaproxy, type StandaloneHaproxy, type StandaloneHaproxyOptions } from './_haproxy';
export { generateCert, servedSerial, type GenerateCertOptions, type TestCert } from './_tls';
export { LETS_ENCRYPT_PROFILES, startAriProxy, type AriProxy, type AriProxyOptions, type ProxyProblem, type RecordedOrder } from './_ari-proxy';
export { bridgeIpv6Loopback, hasIpv6Loopback, type Ipv6LoopbackBridge } from './_ipv6';
export { FAULT_MAX_DELAY_MS, startFaultProxy, type AcmeResource, type Fault, type FaultProxy, type FaultProxyRequest, type FaultRule } from './_fault-proxy';
