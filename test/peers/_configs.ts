/** Ports and paths one peer set is configured with (all listeners on 127.0.0.1). */
export interface PeerLayout {
  workDir: string;
  dnsPort: number;
  dnsManagementPort: number;
  apiPort: number;
  managementPort: number;
  /** Where pebble's VA dials TLS-ALPN-01; nothing listens there. */
  tlsAlpnPort: number;
  haproxyHttpPort: number;
  haproxyHttpsPort: number;
  responderPort: number;
  pebbleCertPath: string;
  pebbleKeyPath: string;
  haproxyDefaultBundle: string;
  haproxyCrtList: string;
  haproxyAdminSocket: string;
}

/**
 * Pebble's config: API and management on loopback, HTTP-01 validated through HAProxy. The last two
 * keys are those pebble 2.7's README recommends: `Retry-After` on authorization and order polls,
 * and Let's Encrypt's profiles (its directory then lists them and ARI's `renewalInfo`). Pebble 2.4
 * ignores keys it does not know.
 */
export function pebbleConfig(layout: PeerLayout): string {
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${layout.apiPort}`,
      managementListenAddress: `127.0.0.1:${layout.managementPort}`,
      certificate: layout.pebbleCertPath,
      privateKey: layout.pebbleKeyPath,
      httpPort: layout.haproxyHttpPort,
      tlsPort: layout.tlsAlpnPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      retryAfter: { authz: 1, order: 1 },
      profiles: {
        default: { description: '90 days', validityPeriod: 7_776_000 },
        shortlived: { description: '6 days', validityPeriod: 518_400 },
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Arguments of pebble-challtestsrv: DNS only, every name resolves to 127.0.0.1, no IPv6 answer.
 * `flags` are those its `-h` lists: 2.7 adds `-doh` (default `:8443`), which 2.4 rejects.
 */
export function challtestsrvArgs(layout: PeerLayout, flags: readonly string[]): string[] {
  // Its defaults bind every interface: pass each address, and disable the listeners we don't use.
  return [
    '-dns01',
    `127.0.0.1:${layout.dnsPort}`,
    '-http01',
    '',
    '-https01',
    '',
    '-tlsalpn01',
    '',
    ...(flags.includes('-doh') ? ['-doh', ''] : []),
    '-management',
    `127.0.0.1:${layout.dnsManagementPort}`,
    '-defaultIPv4',
    '127.0.0.1',
    '-defaultIPv6',
    '',
  ];
}

/**
 * HAProxy's config, shaped like production: the HTTP frontend sends ACME challenges to our
 * responder and answers 404 otherwise; the HTTPS frontend serves the crt-list (plus a default).
 */
export function haproxyConfig(layout: PeerLayout): string {
  return [
    'global',
    `  stats socket ${layout.haproxyAdminSocket} mode 600 level admin`,
    '  stats timeout 30s',
    '  log stderr format short local0 info',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  # A dead responder must fail fast: no retry, 1 s to connect.',
    '  retries 0',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    'frontend http',
    `  bind 127.0.0.1:${layout.haproxyHttpPort}`,
    '  acl acme_challenge path_beg /.well-known/acme-challenge/',
    '  http-request return status 404 unless acme_challenge',
    '  use_backend acme',
    '',
    'backend acme',
    `  server responder 127.0.0.1:${layout.responderPort}`,
    '',
    'frontend https',
    `  bind 127.0.0.1:${layout.haproxyHttpsPort} ssl crt ${layout.haproxyDefaultBundle} crt-list ${layout.haproxyCrtList}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}
