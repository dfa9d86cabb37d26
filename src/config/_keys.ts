import type { ConfigField } from './_types';

/** One row of the configuration reference: names in every source, default and help text. */
export interface ConfigKeyInfo {
  /** The setting, as named in RawFlags (plus `staging`). */
  readonly field: ConfigField;
  /** Long command-line flag, e.g. `--http-port`; undefined when there is none. */
  readonly flag: string | undefined;
  /** Short flag alias, e.g. `-v`. */
  readonly shortFlag: string | undefined;
  /** Placeholder for the flag's value in help, e.g. `PORT`; undefined for boolean flags. */
  readonly valueName: string | undefined;
  /** Environment variable, e.g. `ACME_PORT`. */
  readonly env: string | undefined;
  /** Snap option read with `snapctl get`, e.g. `acme-port`. */
  readonly snap: string | undefined;
  /** Human description of the default. */
  readonly defaultText: string;
  /** One-sentence help text. */
  readonly help: string;
}

/** Let's Encrypt production directory (the default). */
export const LETSENCRYPT_DIRECTORY_URL = 'https://acme-v02.api.letsencrypt.org/directory';
/** Let's Encrypt staging directory (`letsencrypt-staging`, or `acme-staging=true`). */
export const LETSENCRYPT_STAGING_DIRECTORY_URL = 'https://acme-staging-v02.api.letsencrypt.org/directory';
/** Default port of the HTTP-01 responder. */
export const DEFAULT_HTTP_PORT = 34000;
/** Default host of the HTTP-01 responder. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Default per-request timeout towards the ACME server. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30000;
/**
 * Default deadline of a whole command (30 minutes): far above a normal run (seconds), and short
 * enough that an hourly daemon pass stuck on a hostile or broken CA ends before the next one.
 */
export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
/** Home outside a snap; inside one it is `$SNAP_COMMON/acme`. */
export const DEFAULT_HOME = '/var/lib/haproxy-acme';
/** HAProxy's default tune.bufsize: the largest command plus payload its CLI accepts. */
export const DEFAULT_HAPROXY_BUFSIZE = 16384;
/** Default wait for another acme command that holds the lock in home. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60000;
/** Default time each deploy hook may run before its process group is killed. */
export const DEFAULT_HOOK_TIMEOUT_MS = 120000;
/** Let's Encrypt's limit on names per certificate. */
export const MAX_DOMAINS = 100;
/**
 * Ports `acme doctor` expects on loopback only, after Immich Distribution's security page: Immich
 * server and microservices, machine learning, PostgreSQL, Redis, Typesense.
 */
export const DEFAULT_LOCAL_PORTS: readonly number[] = Object.freeze([3001, 3002, 3003, 5432, 6379, 8108]);

type Row = Omit<ConfigKeyInfo, 'shortFlag' | 'valueName' | 'env' | 'snap' | 'flag'> &
  Partial<Pick<ConfigKeyInfo, 'shortFlag' | 'valueName' | 'env' | 'snap' | 'flag'>>;

function row(r: Row): ConfigKeyInfo {
  return Object.freeze({
    flag: undefined,
    shortFlag: undefined,
    valueName: undefined,
    env: undefined,
    snap: undefined,
    ...r,
  });
}

/** The single table of settings; it drives merging, error labels, `--help` and docs/configuration.md. */
export const CONFIG_KEYS: readonly ConfigKeyInfo[] = Object.freeze([
  row({
    field: 'home',
    flag: '--home',
    valueName: 'DIR',
    env: 'ACME_HOME',
    snap: 'acme-home',
    defaultText: '$SNAP_COMMON/acme when SNAP_COMMON is set, else /var/lib/haproxy-acme',
    help: 'Directory for accounts, certificates and HAProxy bundles',
  }),
  row({
    field: 'node',
    flag: '--node',
    valueName: 'ID',
    env: 'ACME_NODE',
    snap: 'acme-node',
    defaultText: 'the host name',
    help: "this node's name when several HAProxy nodes share one certificate store; deploy state is kept per node",
  }),
  row({
    field: 'directory',
    flag: '--directory',
    valueName: 'URL',
    env: 'ACME_DIRECTORY',
    snap: 'acme-directory',
    defaultText: 'letsencrypt (or letsencrypt-staging when staging is on)',
    help: 'ACME directory URL, or the shortcut letsencrypt or letsencrypt-staging',
  }),
  row({
    field: 'staging',
    env: 'ACME_STAGING',
    snap: 'acme-staging',
    defaultText: 'false',
    help: "Use Let's Encrypt staging when no directory is given (true/false/1/0/yes/no)",
  }),
  row({
    field: 'caBundle',
    flag: '--ca-bundle',
    valueName: 'FILE',
    env: 'ACME_CA_BUNDLE',
    snap: 'acme-ca-bundle',
    defaultText: "none (Node's default roots only)",
    help: "PEM file of extra roots to trust for the ACME server's TLS, added to the defaults",
  }),
  row({
    field: 'email',
    flag: '--email',
    valueName: 'ADDRESS',
    env: 'ACME_EMAIL',
    snap: 'acme-email',
    defaultText: 'none',
    help: 'Contact email for the ACME account',
  }),
  row({
    field: 'domain',
    flag: '--domain',
    valueName: 'NAME',
    env: 'ACME_DOMAIN',
    snap: 'acme-domain',
    defaultText: 'none',
    help: 'DNS name or IP address to put on the certificate; repeat the flag or give a comma list (env/snap: commas or spaces)',
  }),
  row({
    field: 'name',
    flag: '--name',
    valueName: 'NAME',
    snap: 'acme-name',
    defaultText: 'the first domain',
    help: 'Certificate name used for file names under the home directory',
  }),
  row({
    field: 'keyType',
    flag: '--key-type',
    valueName: 'TYPE',
    env: 'ACME_KEY_TYPE',
    snap: 'acme-key-type',
    defaultText: 'ec256',
    help: 'Certificate key: ec256, ec384, rsa2048, rsa3072 or rsa4096',
  }),
  row({
    field: 'profile',
    flag: '--profile',
    valueName: 'NAME',
    env: 'ACME_PROFILE',
    snap: 'acme-profile',
    defaultText: "none (the CA's default)",
    help: 'ACME profile to order, e.g. tlsserver or shortlived; the CA must list it in its directory',
  }),
  row({
    field: 'challengeType',
    flag: '--challenge-type',
    valueName: 'TYPE',
    env: 'ACME_CHALLENGE_TYPE',
    snap: 'acme-challenge-type',
    defaultText: 'http-01',
    help: 'How the CA validates each name: http-01 (HAProxy routes port 80 to the responder) or tls-alpn-01 (HAProxy routes ALPN acme-tls/1 on port 443 to it); http and tls are accepted too',
  }),
  row({
    field: 'httpAddress',
    flag: '--http-address',
    valueName: 'ADDRESS',
    env: 'ACME_HTTP_ADDRESS',
    snap: 'acme-http-address',
    defaultText: DEFAULT_HTTP_HOST,
    help: 'Where the challenge responder (HTTP-01 or TLS-ALPN-01) listens: HOST, HOST:PORT, [IPv6]:PORT or unix:/absolute/path',
  }),
  row({
    field: 'httpPort',
    flag: '--http-port',
    valueName: 'PORT',
    env: 'ACME_PORT',
    snap: 'acme-port',
    defaultText: String(DEFAULT_HTTP_PORT),
    help: 'Port of the challenge responder; wins over a port in the address from the same or a lower-priority source',
  }),
  row({
    field: 'preflight',
    flag: '--preflight',
    valueName: 'URL|off',
    env: 'ACME_PREFLIGHT',
    snap: 'acme-preflight',
    defaultText: 'off',
    help: 'Local HTTP frontend to fetch each challenge through before asking the CA',
  }),
  row({
    field: 'requestTimeout',
    flag: '--request-timeout',
    valueName: 'MS',
    env: 'ACME_REQUEST_TIMEOUT_MS',
    defaultText: String(DEFAULT_REQUEST_TIMEOUT_MS),
    help: 'Timeout of each request to the ACME server (1000 to 600000 ms)',
  }),
  row({
    field: 'timeout',
    flag: '--timeout',
    valueName: 'DURATION',
    env: 'ACME_TIMEOUT',
    snap: 'acme-timeout',
    defaultText: '30m',
    help: 'Deadline of the whole command, e.g. 90s, 30m or 2h (a number alone is milliseconds; 1s to 24h): past it the command logs the step it was in, releases the lock and exits 1',
  }),
  row({
    field: 'haproxySocket',
    flag: '--haproxy-socket',
    valueName: 'ADDR',
    env: 'ACME_HAPROXY_SOCKET',
    snap: 'haproxy-socket',
    defaultText: 'none (no hot swap; bundles are only written to disk)',
    help: 'HAProxy runtime (stats) socket with level admin: /abs/path, unix@/abs/path, ipv4@ADDRESS:PORT or ipv6@[ADDRESS]:PORT; repeat the flag or give a comma list (env/snap: commas or spaces)',
  }),
  row({
    field: 'haproxyCrtList',
    flag: '--haproxy-crt-list',
    valueName: 'PATH',
    env: 'ACME_HAPROXY_CRT_LIST',
    snap: 'haproxy-crt-list',
    defaultText: 'none',
    help: 'crt-list file (or crt directory) of the HTTPS bind, as named in haproxy.cfg; new certificates are added to it',
  }),
  row({
    field: 'haproxyMasterSocket',
    flag: '--haproxy-master-socket',
    valueName: 'ADDR',
    env: 'ACME_HAPROXY_MASTER_SOCKET',
    snap: 'haproxy-master-socket',
    defaultText: 'none',
    help: 'Master CLI socket (haproxy -W -S …) used for a checked reload when the runtime API cannot deliver',
  }),
  row({
    field: 'haproxyReloadCmd',
    flag: '--haproxy-reload-cmd',
    valueName: 'CMD',
    env: 'ACME_HAPROXY_RELOAD_CMD',
    snap: 'haproxy-reload-cmd',
    defaultText: 'none',
    help: 'Command run without a shell as the last resort, e.g. snapctl restart mysnap.haproxy',
  }),
  row({
    field: 'haproxyAllowRemote',
    flag: '--haproxy-allow-remote',
    env: 'ACME_HAPROXY_ALLOW_REMOTE',
    snap: 'haproxy-allow-remote',
    defaultText: 'false',
    help: 'Allow a TCP runtime or master socket on a non-loopback address (it has no authentication)',
  }),
  row({
    field: 'haproxyBufsize',
    flag: '--haproxy-bufsize',
    valueName: 'BYTES',
    env: 'ACME_HAPROXY_BUFSIZE',
    snap: 'haproxy-bufsize',
    defaultText: String(DEFAULT_HAPROXY_BUFSIZE),
    help: "HAProxy's tune.bufsize: the largest command plus payload the socket accepts (1024 to 1048576 bytes)",
  }),
  row({
    field: 'lockTimeout',
    flag: '--lock-timeout',
    valueName: 'MS',
    env: 'ACME_LOCK_TIMEOUT_MS',
    snap: 'acme-lock-timeout',
    defaultText: String(DEFAULT_LOCK_TIMEOUT_MS),
    help: 'How long to wait for another acme command holding the lock in the home directory (0 to 3600000 ms; 0 = do not wait)',
  }),
  row({
    field: 'deployHook',
    flag: '--deploy-hook',
    valueName: 'CMD',
    env: 'ACME_DEPLOY_HOOK',
    snap: 'acme-deploy-hook',
    defaultText: 'none',
    help: 'Command run without a shell after each renewal; repeat the flag for several (env: one command; snap: one command or a JSON list)',
  }),
  row({
    field: 'hookTimeout',
    flag: '--hook-timeout',
    valueName: 'MS',
    env: 'ACME_HOOK_TIMEOUT_MS',
    snap: 'acme-hook-timeout',
    defaultText: String(DEFAULT_HOOK_TIMEOUT_MS),
    help: 'How long each deploy hook may run before its process group is killed (1000 to 3600000 ms)',
  }),
  row({
    field: 'eabKid',
    flag: '--eab-kid',
    valueName: 'ID',
    env: 'ACME_EAB_KID',
    snap: 'acme-eab-kid',
    defaultText: 'none',
    help: 'External account binding key ID, for CAs that require one (RFC 8555 §7.3.4); give it with --eab-hmac-key',
  }),
  row({
    field: 'eabHmacKey',
    flag: '--eab-hmac-key',
    valueName: 'KEY',
    env: 'ACME_EAB_HMAC_KEY',
    snap: 'acme-eab-hmac-key',
    defaultText: 'none',
    help: 'External account binding HMAC key (base64url), a secret: prefer the environment or the snap option, since flags show in ps',
  }),
  row({
    field: 'metricsFile',
    flag: '--metrics-file',
    valueName: 'PATH',
    env: 'ACME_METRICS_FILE',
    snap: 'acme-metrics-file',
    defaultText: 'none',
    help: 'Prometheus node-exporter textfile, replaced atomically after every command (and so after every daemon pass)',
  }),
  row({
    field: 'localPorts',
    flag: '--local-ports',
    valueName: 'LIST',
    env: 'ACME_LOCAL_PORTS',
    snap: 'acme-local-ports',
    defaultText: `${DEFAULT_LOCAL_PORTS.join(',')}, the responder's port and every TCP runtime or master socket's port`,
    help: 'TCP ports acme doctor expects to be bound to loopback only; a comma list (env/snap: commas or spaces)',
  }),
  row({ field: 'json', flag: '--json', defaultText: 'false', help: 'Print results as JSON' }),
  row({ field: 'verbose', flag: '--verbose', shortFlag: '-v', defaultText: 'false', help: 'Log more detail' }),
  row({ field: 'quiet', flag: '--quiet', shortFlag: '-q', defaultText: 'false', help: 'Log only errors' }),
]);

/** Every snap option name in CONFIG_KEYS, for one `snapctl get -d` call. */
export const SNAP_OPTION_KEYS: readonly string[] = Object.freeze(
  CONFIG_KEYS.flatMap((k) => (k.snap === undefined ? [] : [k.snap])),
);
