import { isAbsolute } from 'node:path';
import { ConfigError } from '../errors';
import { haproxyWordProblem } from '../haproxyWord';
import { quoteValue } from './_options';

/**
 * What a snap that embeds haproxy-acme (Immich Distribution, say) adds to the rendered haproxy.cfg and to
 * its defaults, from variables its snapcraft.yaml sets (top-level `environment`, so that hooks and apps
 * agree). None is a snap option: they describe the embedding snap, not a user's choice. This snap sets none.
 */
export interface SnapEmbedding {
  /** `ACME_SNAP_DEFAULT_BACKEND`: haproxy-backend when unset, written back by configure, e.g. `127.0.0.1:3001`. */
  readonly defaultBackend: string | undefined;
  /** `ACME_SNAP_APP_CHECK_URI`: HAProxy health-checks the application with `GET <uri>`, e.g. `/server-info/ping`. */
  readonly appCheckUri: string | undefined;
  /** `ACME_SNAP_STATS_URI`: HAProxy's statistics page at this path on both frontends, e.g. `/haproxy`. */
  readonly statsUri: string | undefined;
  /** `ACME_SNAP_ERRORFILE_503`: the page HAProxy answers 503 with (e.g. while the application starts). */
  readonly errorfile503: string | undefined;
  /** `ACME_SNAP_RENEWER_SERVICE`: the service configure restarts after a change; empty for none. Default: `renewer`. */
  readonly renewerService: string | undefined;
}

export const EMBEDDING_VARIABLES = Object.freeze({
  defaultBackend: 'ACME_SNAP_DEFAULT_BACKEND',
  appCheckUri: 'ACME_SNAP_APP_CHECK_URI',
  statsUri: 'ACME_SNAP_STATS_URI',
  errorfile503: 'ACME_SNAP_ERRORFILE_503',
  renewerService: 'ACME_SNAP_RENEWER_SERVICE',
} as const);

const URI_PATH = /^\/[A-Za-z0-9._~\/-]*$/;
const SERVICE_NAME = /^[a-z0-9](?:-?[a-z0-9])*$/;

function check(variable: string, value: string, problem: string | undefined): string {
  if (problem === undefined) return value;
  throw new ConfigError(`Cannot use $${variable} ${quoteValue(value)}: ${problem}`, { source: variable });
}

function uriPath(variable: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return check(variable, value, URI_PATH.test(value) ? undefined : 'expected a path such as "/haproxy": "/" then letters, digits, ".", "_", "~", "/" or "-"');
}

/**
 * The embedding settings from `env` (pure). Blank means unset.
 * @throws ConfigError naming the variable when a value is not what it must be.
 */
export function snapEmbedding(env: Readonly<Record<string, string | undefined>>): SnapEmbedding {
  const errorfile = env[EMBEDDING_VARIABLES.errorfile503];
  const renewer = env[EMBEDDING_VARIABLES.renewerService];
  return Object.freeze({
    defaultBackend: env[EMBEDDING_VARIABLES.defaultBackend] === '' ? undefined : env[EMBEDDING_VARIABLES.defaultBackend],
    appCheckUri: uriPath(EMBEDDING_VARIABLES.appCheckUri, env[EMBEDDING_VARIABLES.appCheckUri]),
    statsUri: uriPath(EMBEDDING_VARIABLES.statsUri, env[EMBEDDING_VARIABLES.statsUri]),
    errorfile503:
      errorfile === undefined || errorfile === ''
        ? undefined
        : check(EMBEDDING_VARIABLES.errorfile503, errorfile, isAbsolute(errorfile) ? haproxyWordProblem(errorfile) : 'expected an absolute path'),
    renewerService:
      renewer === undefined
        ? 'renewer'
        : renewer === ''
          ? undefined
          : check(EMBEDDING_VARIABLES.renewerService, renewer, SERVICE_NAME.test(renewer) ? undefined : 'expected an app name such as "renewer"'),
  });
}

/** `values` with the embedding's default backend where haproxy-backend is unset or blank (pure). */
export function withEmbeddingDefaults(values: Readonly<Record<string, unknown>>, embedding: SnapEmbedding): Record<string, unknown> {
  const backend = values['haproxy-backend'];
  const unset = backend === undefined || backend === null || (typeof backend === 'string' && backend.trim() === '');
  return unset && embedding.defaultBackend !== undefined ? { ...values, 'haproxy-backend': embedding.defaultBackend } : { ...values };
}
