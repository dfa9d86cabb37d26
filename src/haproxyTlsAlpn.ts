/**
 * The HAProxy lines that let TLS-ALPN-01 (RFC 8737) be answered on the public HTTPS port. Pure.
 *
 * The CA validates TLS-ALPN-01 by opening a TLS connection to port 443 whose ClientHello offers
 * only the ALPN protocol `acme-tls/1` (RFC 8737 §3), so that port must reach our responder for
 * those connections and the normal HTTPS frontend for every other one. HAProxy can only choose by
 * ALPN before it terminates TLS, so the public bind moves to a TCP-mode frontend that waits for the
 * ClientHello (`req.ssl_hello_type 1`), reads its ALPN list (`req.ssl_alpn`) and either forwards
 * the still-encrypted connection to the responder or hands it, with a PROXY v2 header carrying the
 * client's address, to the TLS-terminating frontend, which now binds a unix socket with
 * `accept-proxy`. Checked with `haproxy -c` on HAProxy 2.6 and 3.0.
 */

import { ConfigError } from './errors';
import { haproxyWordProblem } from './haproxyWord';

/** Names of the three blocks, chosen not to meet the names in `acme haproxy-config`'s other blocks. */
const FRONTEND = 'tls_alpn_in';
const ACME_BACKEND = 'acme_tls_alpn';
const HTTPS_BACKEND = 'https_internal';

/** RFC 8737 §6.2: the ALPN protocol ID of TLS-ALPN-01. */
const ACME_TLS_ALPN = 'acme-tls/1';

/** How long the TCP frontend waits for a complete ClientHello before deciding without it. */
const INSPECT_DELAY = '5s';

export interface TlsAlpnFrontOptions {
  /** The public HTTPS bind text, e.g. `*:443` (one HAProxy word, already validated). */
  readonly bind: string;
  /** Absolute path of the unix socket the TLS-terminating frontend binds with accept-proxy. */
  readonly internalSocket: string;
  /** HAProxy `server` address of our responder: `127.0.0.1:34000`, `[::1]:34000` or `unix@/path`. */
  readonly responder: string;
  /** false: only acme-tls/1 connections are accepted on the bind; everything else is rejected. */
  readonly httpsEnabled: boolean;
}

/**
 * Returns { front, httpsBind }: `front` = the lines of the TCP frontend + the tcp backends (acme
 * responder, and internal https when `httpsEnabled`), each a haproxy.cfg block (header at column 0,
 * directives indented four spaces) ending with ''; `httpsBind(settings)` = the
 * `bind unix@<internalSocket> mode 600 accept-proxy <settings>` line the TLS frontend uses instead of
 * its public bind (`settings` e.g. `ssl crt /a.pem crt-list /l.txt alpn h2,http/1.1`).
 *
 * Example for `{ bind: '*:443', internalSocket: '/run/h/https.sock', responder: '127.0.0.1:34000', httpsEnabled: true }`:
 * `frontend tls_alpn_in` / `mode tcp` / `bind *:443` / `tcp-request inspect-delay 5s` /
 * `tcp-request content accept if { req.ssl_hello_type 1 }` /
 * `use_backend acme_tls_alpn if { req.ssl_alpn acme-tls/1 }` / `default_backend https_internal`, then
 * `backend acme_tls_alpn` (`server acme 127.0.0.1:34000`) and `backend https_internal`
 * (`server https unix@/run/h/https.sock send-proxy-v2`).
 * @throws ConfigError when `bind`, `internalSocket` or `responder` is not one HAProxy word, or
 *   `internalSocket` is not an absolute path
 */
export function tlsAlpnFront(options: TlsAlpnFrontOptions): { front: string[]; httpsBind(settings: string): string } {
  const bind = word('bind', options.bind);
  const socket = word('internalSocket', options.internalSocket);
  if (!socket.startsWith('/')) {
    throw new ConfigError(
      `Cannot render the TLS-ALPN-01 frontend with internalSocket ${shown(socket)}: it is not an absolute path`,
      { source: 'internalSocket' },
    );
  }
  const responder = word('responder', options.responder);
  const front = [
    `frontend ${FRONTEND}`,
    '    # TCP mode: HAProxy reads the ClientHello without terminating TLS and routes on its ALPN list.',
    '    mode tcp',
    `    bind ${bind}`,
    `    tcp-request inspect-delay ${INSPECT_DELAY}`,
    ...(options.httpsEnabled
      ? ['    tcp-request content accept if { req.ssl_hello_type 1 }']
      : [
          `    # HTTPS is off: only the CA's TLS-ALPN-01 connections (ALPN ${ACME_TLS_ALPN}) get through.`,
          `    tcp-request content accept if { req.ssl_hello_type 1 } { req.ssl_alpn ${ACME_TLS_ALPN} }`,
          '    tcp-request content reject',
        ]),
    `    # RFC 8737 §3: the CA's validation connection offers exactly ALPN ${ACME_TLS_ALPN}.`,
    `    use_backend ${ACME_BACKEND} if { req.ssl_alpn ${ACME_TLS_ALPN} }`,
    ...(options.httpsEnabled ? [`    default_backend ${HTTPS_BACKEND}`] : []),
    '',
    `backend ${ACME_BACKEND}`,
    '    # haproxy-acme listens only while an order is in flight; the CA retries or fails the order in between.',
    '    mode tcp',
    '    timeout connect 1s',
    `    server acme ${responder}`,
    '',
    ...(options.httpsEnabled
      ? [
          `backend ${HTTPS_BACKEND}`,
          '    # PROXY protocol v2: the HTTPS frontend sees the real client address, not the unix socket.',
          '    mode tcp',
          `    server https unix@${socket} send-proxy-v2`,
          '',
        ]
      : []),
  ];
  return {
    front,
    httpsBind: (settings: string) =>
      `bind unix@${socket} mode 600 accept-proxy${settings.trim() === '' ? '' : ` ${settings.trim()}`}`,
  };
}

function word(name: string, value: string): string {
  const problem = haproxyWordProblem(value);
  if (problem === undefined) return value;
  throw new ConfigError(`Cannot render the TLS-ALPN-01 frontend with ${name} ${shown(value)}: ${problem}`, {
    source: name,
  });
}

/** `value` quoted, every character outside printable ASCII escaped, cut at 100 characters. */
function shown(value: string): string {
  const cut = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (char) =>
    char === '…' ? char : `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}
