import { CERTIFICATE_KEY_TYPES, type CertificateKeyType } from '../pem';

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
/** Default certificate key type. */
export const DEFAULT_KEY_TYPE: CertificateKeyType = 'ec256';
/** The certificate key types `--key-type` accepts: the ones acme/ can generate. */
export const KEY_TYPES: readonly CertificateKeyType[] = CERTIFICATE_KEY_TYPES;
/** Let's Encrypt's limit on names per certificate. */
export const MAX_DOMAINS = 100;
/**
 * Ports `acme doctor` expects on loopback only, after Immich Distribution's security page: Immich
 * server and microservices, machine learning, PostgreSQL, Redis, Typesense.
 */
export const DEFAULT_LOCAL_PORTS: readonly number[] = Object.freeze([3001, 3002, 3003, 5432, 6379, 8108]);
/** Default poll of the shared store when several nodes share one (10 minutes): catches changes a lost notification missed. */
export const DEFAULT_SYNC_INTERVAL_MS = 10 * 60_000;
/** Default lease of a certificate lock in a shared store (30 s): how long a dead holder blocks others. */
export const DEFAULT_LEASE_MS = 30_000;
/** How HTTP-01 tokens reach the CA: see Config.http01Mode. */
export const HTTP01_MODES = ['local', 'shared', 'stateless'] as const;
