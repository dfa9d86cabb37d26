import type { ChallengeType, HttpAddress } from '../config';
import { ConfigError } from '../errors';
import { tlsAlpnFront } from '../haproxyTlsAlpn';
import { haproxyWordProblem } from '../haproxyWord';
import type { SnapEmbedding } from './_embedding';
import { quoteValue, type WrapperOptions } from './_options';

/** The files the rendered configuration names; all come from snapLayout(). */
export interface SnapHaproxyPaths {
  /** Runtime API socket, `$SNAP_DATA/haproxy/admin.sock`. */
  readonly adminSocket: string;
  /** crt-list of the certificates haproxy-acme manages, `$SNAP_COMMON/acme/crt-list.txt`. */
  readonly crtList: string;
  /** crt-list of the certificates dropped into `$SNAP_COMMON/acme/haproxy/` by hand, rewritten at every start. */
  readonly manualCrtList: string;
  /** Where the TLS-terminating frontend listens behind the TLS-ALPN-01 front, `$SNAP_DATA/haproxy/https.sock`. */
  readonly httpsSocket: string;
}

/** Input of renderSnapHaproxyConfig(). */
export interface RenderSnapHaproxyOptions {
  readonly wrapper: WrapperOptions;
  /** Where haproxy-acme's responder listens (Config.httpAddress: `127.0.0.1:<acme-port>` by default). */
  readonly responder: HttpAddress;
  /** How the CA validates: `http-01` through the HTTP frontend, `tls-alpn-01` through the HTTPS bind. */
  readonly challengeType: ChallengeType;
  readonly paths: SnapHaproxyPaths;
  /** What the snap that embeds haproxy-acme adds: a health check, a statistics page, a 503 page. */
  readonly embedding: Pick<SnapEmbedding, 'appCheckUri' | 'statsUri' | 'errorfile503'>;
}

/** HAProxy `server` address of the responder: `127.0.0.1:34000`, `[::1]:34000` or `unix@/path`. */
function responderAddress(address: HttpAddress): string {
  if (address.kind === 'unix') return `unix@${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** One value the configuration takes from outside this file: where it came from, as set, and as written. */
interface Interpolated {
  readonly setting: string;
  readonly value: string;
  readonly word: string;
}

/**
 * Every interpolated value, each of which MUST be exactly one HAProxy word (haproxyWordProblem()). That
 * holds for the binds too: haproxy-http-bind and haproxy-https-bind accept one `ADDR:PORT` (see
 * parseWrapperOptions()), and the bind's settings (`ssl strict-sni crt-list …`) are written here, never
 * taken from an option. So no value can add an argument, a directive or a line. The https bind is checked
 * even when https-enabled is false, so that turning HTTPS on cannot reveal a bad value at the next start.
 */
function interpolated(options: RenderSnapHaproxyOptions): Interpolated[] {
  const { wrapper, responder, paths } = options;
  const responderValue = responder.kind === 'unix' ? `unix:${responder.path}` : responderAddress(responder);
  return [
    { setting: 'the runtime socket path', value: paths.adminSocket, word: paths.adminSocket },
    { setting: 'the crt-list path', value: paths.crtList, word: paths.crtList },
    { setting: 'the manual crt-list path', value: paths.manualCrtList, word: paths.manualCrtList },
    { setting: 'the HTTPS socket path', value: paths.httpsSocket, word: paths.httpsSocket },
    { setting: 'snap option acme-http-address', value: responderValue, word: responderAddress(responder) },
    { setting: 'snap option haproxy-http-bind', value: wrapper.httpBind.text, word: wrapper.httpBind.text },
    { setting: 'snap option haproxy-https-bind', value: wrapper.httpsBind.text, word: wrapper.httpsBind.text },
    ...(wrapper.backend === undefined ? [] : [{ setting: 'snap option haproxy-backend', value: wrapper.backend.text, word: wrapper.backend.text }]),
    ...Object.entries(options.embedding)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => ({ setting: `the embedding's ${key}`, value, word: value })),
  ];
}

/**
 * Refuses, never quotes or escapes (see src/haproxyWord.ts), any value that is not one word. The options
 * were validated before, so this is the last line of defence should a value ever skip that validation.
 */
function refuseNonWords(options: RenderSnapHaproxyOptions): void {
  for (const { setting, value, word } of interpolated(options)) {
    const problem = haproxyWordProblem(word);
    if (problem !== undefined) {
      throw new ConfigError(`Cannot render haproxy.cfg with ${setting} ${quoteValue(value)}: ${problem}`, { source: setting });
    }
  }
}

/** Immich Distribution's `http-enabled=false` turns port 80 off; the HTTP-01 route then has no way in. */
function httpFrontend(options: RenderSnapHaproxyOptions): string[] {
  const { wrapper } = options;
  if (!wrapper.httpEnabled) return [];
  return [
    'frontend http',
    `    bind ${wrapper.httpBind.text}`,
    // Here rather than in defaults: the TLS-ALPN-01 front and its backends are TCP proxies, where HAProxy warns of it.
    '    option forwardfor',
    // RFC 8555 §8.3: the CA fetches http://<domain>/.well-known/acme-challenge/<token> on port 80.
    '    acl acme_challenge path_beg /.well-known/acme-challenge/',
    // HAProxy runs http-request rules before use_backend wherever they stand, and warns when written after.
    ...(wrapper.httpsEnabled && wrapper.httpsRedirect ? ['    http-request redirect scheme https code 301 unless acme_challenge'] : []),
    '    use_backend acme_challenge if acme_challenge',
    ...statsRoute(options),
    '    default_backend app',
    '',
  ];
}

/** The embedding snap's statistics page, on both frontends (Immich Distribution's loading screen reads it). */
function statsRoute(options: RenderSnapHaproxyOptions): string[] {
  const uri = options.embedding.statsUri;
  return uri === undefined ? [] : [`    use_backend stats if { path_beg ${uri} }`];
}

function statsBackend(options: RenderSnapHaproxyOptions): string[] {
  const uri = options.embedding.statsUri;
  return uri === undefined ? [] : ['backend stats', '    stats enable', '    stats hide-version', `    stats uri ${uri}`, ''];
}

/**
 * The HTTPS bind listens when https-enabled is true, and also when the CA validates over TLS-ALPN-01,
 * which reaches the same port: a TCP frontend there hands `acme-tls/1` handshakes to the responder and
 * every other connection to the TLS-terminating frontend (which then listens on a unix socket), or, when
 * https-enabled is false, rejects it.
 */
function tlsAlpnFrontend(options: RenderSnapHaproxyOptions): ReturnType<typeof tlsAlpnFront> | undefined {
  if (options.challengeType !== 'tls-alpn-01') return undefined;
  return tlsAlpnFront({
    bind: options.wrapper.httpsBind.text,
    internalSocket: options.paths.httpsSocket,
    responder: responderAddress(options.responder),
    httpsEnabled: options.wrapper.httpsEnabled,
  });
}

/**
 * `strict-sni` is what lets the bind start with empty crt-lists: HAProxy 2.6.12 refuses an SSL bind
 * without a certificate ("no SSL certificate specified … (use 'crt')") unless strict-sni is set, in which
 * case it only warns, and `add ssl crt-list` at runtime then serves the first certificate by SNI (verified
 * on 2.6.12). The price: a client without SNI, or with a name not listed, gets a handshake alert, never a
 * wrong certificate. Immich Distribution's HTTPS bind uses strict-sni as well. The managed crt-list comes
 * first; the manual one holds the certificates users drop in by hand.
 */
function httpsFrontend(options: RenderSnapHaproxyOptions): string[] {
  if (!options.wrapper.httpsEnabled) return [];
  const settings = `ssl strict-sni crt-list ${options.paths.crtList} crt-list ${options.paths.manualCrtList} alpn h2,http/1.1`;
  const front = tlsAlpnFrontend(options);
  return [
    'frontend https',
    front === undefined ? `    bind ${options.wrapper.httpsBind.text} ${settings}` : `    ${front.httpsBind(settings)}`,
    '    option forwardfor',
    '    http-request set-header X-Forwarded-Proto https',
    '    use_backend acme_challenge if { path_beg /.well-known/acme-challenge/ }',
    ...statsRoute(options),
    '    default_backend app',
    '',
  ];
}

function appBackend(options: RenderSnapHaproxyOptions): string[] {
  const backend = options.wrapper.backend;
  const check = options.embedding.appCheckUri;
  if (backend === undefined) {
    return [
      'backend app',
      '    http-request return status 503 content-type text/plain string "No application configured: snap set <snap> haproxy-backend=ADDR:PORT"',
      '',
    ];
  }
  return [
    'backend app',
    '    http-request set-header X-Forwarded-Host %[req.hdr(Host)]',
    ...(check === undefined
      ? [`    server app ${backend.text}`]
      : ['    option httpchk', `    http-check send meth GET uri ${check}`, `    server app ${backend.text} check inter 5s fall 2 rise 6`]),
    '',
  ];
}

/**
 * Renders the snap's haproxy.cfg (pure): the admin runtime socket (mode 600, admin level, `expose-fd
 * listeners` for seamless reloads), the HTTP frontend (unless http-enabled is false) that sends ACME
 * challenges to the responder, and redirects everything else to HTTPS only when https-redirect is true,
 * the HTTPS frontend on the crt-lists (when https-enabled), the TLS-ALPN-01 front on the HTTPS bind (when
 * the challenge type is tls-alpn-01), and the application backend. Every path and option value is
 * written as one word.
 * @throws ConfigError when a path or option value is not one HAProxy word, e.g. holds a newline or a space
 */
export function renderSnapHaproxyConfig(options: RenderSnapHaproxyOptions): string {
  refuseNonWords(options);
  return [
    '# Generated by the haproxy-acme snap at every start of its haproxy service; edits are lost.',
    '# Change it with snap options: snap set <snap> https-enabled=true haproxy-http-bind=*:80 ...',
    'global',
    `    stats socket ${options.paths.adminSocket} mode 600 level admin expose-fd listeners`,
    '    stats timeout 30s',
    '    log stderr format short local0 notice',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    timeout connect 5s',
    '    timeout client 1m',
    '    timeout server 1m',
    ...(options.embedding.errorfile503 === undefined ? [] : [`    errorfile 503 ${options.embedding.errorfile503}`]),
    '',
    ...httpFrontend(options),
    ...(tlsAlpnFrontend(options)?.front ?? []),
    ...httpsFrontend(options),
    'backend acme_challenge',
    // haproxy-acme listens only while an order is in flight; in between HAProxy answers 503 at once.
    '    timeout connect 1s',
    '    retries 0',
    `    server acme ${responderAddress(options.responder)}`,
    '',
    ...appBackend(options),
    ...statsBackend(options),
  ].join('\n');
}
