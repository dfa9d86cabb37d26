import type { PeerVersions } from './_versions';

/** The JSON-serialisable part of a running set of peers (what global setup hands to test workers). */
export interface PeersDescription {
  /** ACME directory of pebble, e.g. `https://127.0.0.1:41234/dir`. */
  directoryUrl: string;
  /** Pebble's API (and management) TLS certificate, self-signed: pass it as `--ca-bundle`. */
  caBundlePath: string;
  /** Pebble's management interface, e.g. `https://127.0.0.1:41235` (issuance roots live here). */
  managementUrl: string;
  /** pebble-challtestsrv's DNS server that pebble resolves every name with (always to 127.0.0.1). */
  dnsServer: string;
  /** pebble-challtestsrv's management interface, e.g. `http://127.0.0.1:41236` (to add DNS records). */
  dnsManagementUrl: string;
  /** HAProxy's plain HTTP frontend, `http://127.0.0.1:<port>`: it is pebble's HTTP-01 port. */
  haproxyHttpUrl: string;
  /** Port of HAProxy's `ssl crt … crt-list …` frontend on 127.0.0.1. */
  haproxyHttpsPort: number;
  /** HAProxy's stats socket (`level admin`, mode 600). */
  haproxyAdminSocket: string;
  /** The crt-list file of the HTTPS frontend (empty at start). */
  haproxyCrtList: string;
  /** Port on 127.0.0.1 where HAProxy sends `/.well-known/acme-challenge/`: our responder MUST listen here. */
  responderPort: number;
  /** Temp dir holding every generated file; removed by `stop()`. */
  workDir: string;
  /** Pid of each child process, by name (`pebble`, `challtestsrv`, `haproxy`). */
  pids: Record<string, number>;
  /** Which pebble, pebble-challtestsrv and HAProxy run, and what this pebble offers. */
  versions: PeerVersions;
}

/** A running set of real peers on loopback: pebble, its DNS, and HAProxy in front of our responder. */
export interface Peers extends PeersDescription {
  /** GETs `/roots/0` and `/intermediates/0` from pebble's management port: `[rootPem, intermediatePem]`. */
  fetchIssuanceRoots(): Promise<string[]>;
  /** Stops every child (SIGTERM, then SIGKILL after 3 s) and removes `workDir`; idempotent. */
  stop(): Promise<void>;
}

/** Options of `startPeers()`. */
export interface StartPeersOptions {
  /** Percentage of valid nonces pebble rejects as `badNonce` (PEBBLE_WFE_NONCEREJECT). Default: 0. */
  nonceRejectPercent?: number;
  /** Percentage of authorizations pebble reuses (PEBBLE_AUTHZREUSE). Default: 0, so every order validates. */
  authzReusePercent?: number;
  /** Directory that receives `<name>.log` with each child's stdout and stderr. Default: none (kept in memory). */
  logDir?: string;
}
