import { HookError } from '../errors';

/** Prefix of every variable we define for deploy hooks, as lego's `LEGO_HOOK_`. */
export const HOOK_ENV_PREFIX = 'ACME_HOOK_';

/** PATH given to hooks when the parent has none left (after stripping `$SNAP` entries). */
export const DEFAULT_HOOK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What a deploy hook is told about the certificate that was just renewed and deployed. */
export interface HookCertificate {
  /** The certificate name, e.g. `example.com`. */
  name: string;
  /** Every identifier on the certificate, in order. */
  domains: string[];
  /** Leaf certificate PEM (`certificates/<name>/cert.pem`). */
  certPath: string;
  /** Private key PEM (`certificates/<name>/privkey.pem`). */
  keyPath: string;
  /** Intermediates PEM (`certificates/<name>/chain.pem`). */
  chainPath: string;
  /** Leaf plus intermediates (`certificates/<name>/fullchain.pem`). */
  fullchainPath: string;
  /** The HAProxy bundle: leaf, intermediates, key (`haproxy/<name>.pem`). */
  bundlePath: string;
  /** Serial number, upper-case hex as `pem/` reads it, e.g. `87654321FEDCBA9876543210`. */
  serial: string;
  notAfter: Date;
  /** The `certificates/<name>` directory, passed as certbot's `RENEWED_LINEAGE`. */
  lineageDir: string;
}

/**
 * The only parent variables a hook may inherit. Anything else (HOME, credentials, NODE_OPTIONS)
 * is left out on purpose: hooks get an explicit environment. `process.env` fits this type.
 */
export interface HookBaseEnvironment {
  PATH?: string;
  /** Set by snapd; entries under it are removed from PATH and LD_LIBRARY_PATH. */
  SNAP?: string;
  LD_LIBRARY_PATH?: string;
  LANG?: string;
  TZ?: string;
  /** Set by snapd inside a snap; snapctl needs one of them to act for this snap (`snapctl restart`). */
  SNAP_COOKIE?: string;
  SNAP_CONTEXT?: string;
}

/**
 * The environment of any program we start (deploy hooks, the reload command) before its own
 * variables: PATH, LD_LIBRARY_PATH, LANG, TZ and snapctl's SNAP_COOKIE/SNAP_CONTEXT from `base`,
 * nothing else (no ACME_EAB_HMAC_KEY, HOME, NODE_OPTIONS…). PATH and LD_LIBRARY_PATH lose every
 * entry under `$SNAP` (a classic snap must not leak its own libraries into other programs;
 * certbot's `env_no_snap_for_external_calls`) and every relative or empty entry (which would mean
 * "the current directory"). Pure.
 */
export function programEnvironment(base: HookBaseEnvironment): Record<string, string> {
  const env: Record<string, string> = { PATH: stripSearchPath(base.PATH, base.SNAP) || DEFAULT_HOOK_PATH };
  const libraryPath = stripSearchPath(base.LD_LIBRARY_PATH, base.SNAP);
  if (libraryPath !== '') env.LD_LIBRARY_PATH = libraryPath;
  for (const name of ['LANG', 'TZ', 'SNAP_COOKIE', 'SNAP_CONTEXT'] as const) {
    const value = base[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return env;
}

/**
 * Builds the complete environment of a deploy hook: the `ACME_HOOK_*` variables, certbot's
 * `RENEWED_LINEAGE`/`RENEWED_DOMAINS`, and programEnvironment() of `base`. Pure.
 * @throws HookError HOOK_FAILED when `notAfter` is not a valid date
 */
export function hookEnvironment(cert: HookCertificate, base: HookBaseEnvironment): Record<string, string> {
  if (Number.isNaN(cert.notAfter.getTime())) {
    throw new HookError(`Cannot build the deploy hook environment for "${cert.name}": notAfter is not a valid date`);
  }
  const domains = cert.domains.join(' ');
  const env: Record<string, string> = {
    [`${HOOK_ENV_PREFIX}NAME`]: cert.name,
    [`${HOOK_ENV_PREFIX}DOMAINS`]: domains,
    [`${HOOK_ENV_PREFIX}CERT_PATH`]: cert.certPath,
    [`${HOOK_ENV_PREFIX}KEY_PATH`]: cert.keyPath,
    [`${HOOK_ENV_PREFIX}CHAIN_PATH`]: cert.chainPath,
    [`${HOOK_ENV_PREFIX}FULLCHAIN_PATH`]: cert.fullchainPath,
    [`${HOOK_ENV_PREFIX}BUNDLE_PATH`]: cert.bundlePath,
    [`${HOOK_ENV_PREFIX}SERIAL`]: cert.serial,
    [`${HOOK_ENV_PREFIX}NOT_AFTER`]: cert.notAfter.toISOString(),
    RENEWED_LINEAGE: cert.lineageDir,
    RENEWED_DOMAINS: domains,
    ...programEnvironment(base),
  };
  return env;
}

/** `/a:/snap/x/1/bin::rel:/b` with SNAP `/snap/x/1` → `/a:/b`. A SNAP of `/` or a relative one is ignored. */
function stripSearchPath(value: string | undefined, snap: string | undefined): string {
  if (value === undefined) return '';
  const root = (snap ?? '').replace(/\/+$/, '');
  const underSnap = (entry: string): boolean =>
    root.startsWith('/') && (entry.replace(/\/+$/, '') === root || entry.startsWith(`${root}/`));
  return value
    .split(':')
    .filter((entry) => entry.startsWith('/') && !underSnap(entry))
    .join(':');
}
