import type { CertificateKeyType } from '../pem';

/** ACME certificate key algorithms we can generate (pem's CERTIFICATE_KEY_TYPES). */
export type KeyType = CertificateKeyType;

/**
 * How the CA validates control of each name: `http-01` (RFC 8555 §8.3, port 80) or `tls-alpn-01`
 * (RFC 8737, port 443, ALPN `acme-tls/1`).
 */
export type ChallengeType = 'http-01' | 'tls-alpn-01';

/** Where the HTTP-01 responder listens: a TCP host and port, or a unix socket path. */
export type HttpAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * A HAProxy runtime or master CLI socket: `/path` and `unix@/path` become `unix`; `ipv4@127.0.0.1:9999`
 * and `ipv6@[::1]:9999` become `tcp` with the bare address as host (no brackets).
 */
export type RuntimeSocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** How certificates reach HAProxy. With no sockets, bundles are only written to disk. */
export interface HaproxyConfig {
  /** Runtime API (stats) sockets with `level admin`, de-duplicated, in the order given; each is updated on its own. */
  readonly sockets: readonly RuntimeSocketAddress[];
  /** Absolute path of the crt-list file (or crt directory) of the HTTPS bind; new certificates are added to it. */
  readonly crtList: string | undefined;
  /** Master CLI socket (`haproxy -W -S …`) for a checked reload when the runtime API cannot deliver. */
  readonly masterSocket: RuntimeSocketAddress | undefined;
  /** Last-resort reload command as argv (run without a shell), e.g. `["snapctl", "restart", "x.haproxy"]`. */
  readonly reloadCommand: readonly string[] | undefined;
  /** True when a TCP socket may be on a non-loopback address (it has no authentication). */
  readonly allowRemote: boolean;
  /** HAProxy's tune.bufsize: the largest command plus payload one socket write may carry, in bytes. */
  readonly bufferSize: number;
}

/**
 * External account binding (RFC 8555 §7.3.4): the key ID and HMAC key the CA issued for an account
 * outside ACME. `hmacKey` is base64url and a secret: never log it or put it in a message.
 */
export interface ExternalAccountBinding {
  readonly kid: string;
  readonly hmacKey: string;
}

/** Who answers HTTP-01 challenges (see Config.http01Mode). */
export type Http01Mode = 'local' | 'shared' | 'stateless';

/**
 * The storage backend: the file store under `home`, or a PostgreSQL database several nodes share.
 * `url` may hold a password; it is never logged or echoed (describeStorage() gives a safe label).
 */
export type StorageConfig = { readonly kind: 'file' } | { readonly kind: 'postgres'; readonly url: string };

/** The validated, deeply frozen configuration every other module receives. */
export interface Config {
  /** Absolute path of the state directory (accounts, certificates, bundles). */
  readonly home: string;
  /**
   * This node's name, lower-case, 1 to 64 characters from `a-z 0-9 . _ -` starting and ending with a letter
   * or digit: the key of its deploy state when several HAProxy nodes share one certificate store.
   * Default: the host name.
   */
  readonly nodeId: string;
  /** Where certificates, accounts, state and locks live. Default: `{ kind: 'file' }` (under `home`). */
  readonly storage: StorageConfig;
  /**
   * Who answers HTTP-01: `local`, the responder of the ordering command (tokens in its memory);
   * `shared`, the always-on responder of `acme daemon` on every node (tokens in the shared store);
   * `stateless`, HAProxy itself from the account thumbprint (nothing to publish). Default: `local`.
   */
  readonly http01Mode: Http01Mode;
  /** With a shared store: how often the daemon re-syncs every certificate besides notifications. */
  readonly syncIntervalMs: number;
  /** With a shared store: the lease of a certificate lock (database clock). */
  readonly leaseMs: number;
  /** ACME directory URL: https, or http only for 127.0.0.1, localhost and [::1]. */
  readonly directoryUrl: string;
  /** Absolute path of a PEM file with extra roots to trust for the ACME server's TLS. */
  readonly caBundlePath: string | undefined;
  /** Contact address for the ACME account. */
  readonly email: string | undefined;
  /**
   * Normalised names, de-duplicated, in the order given: DNS names lower-case and punycode; IP addresses
   * (RFC 8738) as IPv4 dotted quads or IPv6 in RFC 5952 form (`2001:db8::1`, no brackets). Frozen at run time.
   */
  readonly domains: string[];
  /** Certificate name (storage key); defaults to the first domain, an IPv6 one as `ip6-` + its `:` as `-` (`ip6-2001-db8--1`). */
  readonly name: string | undefined;
  readonly keyType: KeyType;
  /** The challenge type to answer; the responder listens on `httpAddress` either way. Default: `http-01`. */
  readonly challengeType: ChallengeType;
  readonly httpAddress: Readonly<HttpAddress>;
  /** Base URL of the local HTTP frontend to self-check challenges through; undefined means off. */
  readonly preflightUrl: string | undefined;
  readonly requestTimeoutMs: number;
  /** Deadline of the whole command, from its start; past it the CLI stops the command (exit 1). */
  readonly timeoutMs: number;
  readonly output: Readonly<{ json: boolean; verbosity: 'quiet' | 'normal' | 'verbose' }>;
  /** HAProxy endpoints and the reload fallback; deeply frozen like the rest. */
  readonly haproxy: HaproxyConfig;
  /** How long to wait for another acme command holding the lock in home; 0 means do not wait. */
  readonly lockTimeoutMs: number;
  /** ACME profile to order, lower-case (e.g. `tlsserver`, `shortlived`); undefined means the CA's default. */
  readonly profile: string | undefined;
  /**
   * Deploy hooks given as commands, each as argv run without a shell after every renewal, in the order
   * given; `argv[0]` is an absolute path or a bare name to look up on PATH. Deeply frozen.
   */
  readonly deployHooks: readonly (readonly string[])[];
  /** How long each deploy hook may run before its process group is killed. */
  readonly hookTimeoutMs: number;
  /** EAB for CAs that require it, used only when a new account is registered; undefined when not configured. */
  readonly eab: ExternalAccountBinding | undefined;
  /** Absolute path of the node-exporter textfile written after every command; undefined means none. */
  readonly metricsFile: string | undefined;
  /**
   * TCP ports `acme doctor` expects to be bound to loopback only, de-duplicated, in the order given. Default:
   * DEFAULT_LOCAL_PORTS plus the responder's port and the port of every TCP runtime or master socket. Frozen.
   */
  readonly localPorts: readonly number[];
}

/** Command-line flags as the CLI parser hands them over: strings, not yet validated. */
export interface RawFlags {
  home?: string;
  /** `file` or a `postgres://` URL (may hold a password: never echoed). */
  storage?: string;
  /** `local`, `shared` or `stateless`. */
  http01Mode?: string;
  /** A duration: the shared store's poll. */
  syncInterval?: string;
  /** A duration: the certificate lease in a shared store. */
  lease?: string;
  /** This node's name (`--node`). */
  node?: string;
  directory?: string;
  caBundle?: string;
  email?: string;
  /** Each entry may itself be a comma-separated list. */
  domain?: string[];
  name?: string;
  keyType?: string;
  /** `http-01`, `tls-alpn-01`, or the snap's short forms `http` and `tls`. */
  challengeType?: string;
  httpAddress?: string;
  httpPort?: string;
  preflight?: string;
  requestTimeout?: string;
  /** A duration: `90s`, `30m`, `2h`, or milliseconds. */
  timeout?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** Each entry may itself be a comma-separated list. */
  haproxySocket?: string[];
  haproxyCrtList?: string;
  haproxyMasterSocket?: string;
  haproxyReloadCmd?: string;
  haproxyAllowRemote?: boolean;
  haproxyBufsize?: string;
  lockTimeout?: string;
  profile?: string;
  /** One command per entry (repeatable); never split on commas, since a command may contain one. */
  deployHook?: string[];
  hookTimeout?: string;
  eabKid?: string;
  /** A secret: never echoed in messages. */
  eabHmacKey?: string;
  metricsFile?: string;
  /** Each entry may itself be a comma-separated list. */
  localPorts?: string[];
}

/** Every configurable setting: the RawFlags keys plus `staging`, which has no flag. */
export type ConfigField = keyof RawFlags | 'staging';

/** The inputs of resolveConfig(); it reads nothing else. */
export interface ConfigSources {
  flags: RawFlags;
  /** Environment variables; an empty or all-blank value counts as unset. */
  env: Record<string, string | undefined>;
  /** Values from `snapctl get -d`; null, "" and missing keys count as unset. */
  snap: Record<string, unknown>;
  /** Absolute directory that relative paths (`--home`, `--ca-bundle`, `--haproxy-crt-list`) are resolved against. */
  cwd: string;
  /** This machine's host name, the default node name (`--node`). Default (in resolveConfig()): `os.hostname()`. */
  hostname?: string;
}
