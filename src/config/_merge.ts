import { join } from 'node:path';
import type { ConfigField, ConfigSources } from './_types';
import {
  CONFIG_KEYS,
  DEFAULT_HAPROXY_BUFSIZE,
  DEFAULT_HOME,
  DEFAULT_HOOK_TIMEOUT_MS,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
} from './_keys';

/** Where a value came from; `label` is how messages name it, e.g. `--http-port` or `snap option acme-port`. */
export interface Source {
  readonly kind: 'flag' | 'env' | 'snap' | 'default';
  readonly label: string;
}

/** Higher wins: flags, then environment, then snap options, then defaults. */
export const SOURCE_RANK: Readonly<Record<Source['kind'], number>> = { flag: 3, env: 2, snap: 1, default: 0 };

/** The winning raw value of every field, plus the per-field record of who supplied it. */
export interface Merged {
  readonly input: Record<string, unknown>;
  readonly sources: Partial<Record<ConfigField, Source>>;
}

type Candidate = { value: unknown; source: Source };

const DEFAULTS: Partial<Record<ConfigField, string>> = {
  staging: 'false',
  keyType: 'ec256',
  challengeType: 'http-01',
  httpAddress: DEFAULT_HTTP_HOST,
  httpPort: String(DEFAULT_HTTP_PORT),
  preflight: 'off',
  requestTimeout: String(DEFAULT_REQUEST_TIMEOUT_MS),
  timeout: String(DEFAULT_TIMEOUT_MS),
  haproxyAllowRemote: 'false',
  haproxyBufsize: String(DEFAULT_HAPROXY_BUFSIZE),
  lockTimeout: String(DEFAULT_LOCK_TIMEOUT_MS),
  hookTimeout: String(DEFAULT_HOOK_TIMEOUT_MS),
};

/** Fields that hold a list: flags split on commas, the environment and snap options on commas and white space. */
const LIST_FIELDS: ReadonlySet<ConfigField> = new Set<ConfigField>(['domain', 'haproxySocket', 'localPorts']);

/**
 * Fields that hold a list of commands, never split: each flag is one command (it may contain a comma, as in
 * `--deploy-hook "/usr/bin/notify a,b"`), the environment variable is one command, and a snap option is one
 * command or a JSON list of commands.
 */
const COMMAND_LIST_FIELDS: ReadonlySet<ConfigField> = new Set<ConfigField>(['deployHook']);

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** One command, or a snap JSON list of commands as given; an empty list yields [""] so validation reports it. */
function commandList(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  return value.length === 0 ? [''] : [...value];
}

/** Splits list text; a source that was given but lists nothing yields [""] so validation reports it. */
function splitList(parts: unknown[], separator: RegExp): unknown[] {
  const items = parts.flatMap((p) => (typeof p === 'string' ? p.split(separator) : [p]));
  const kept = items.map((i) => (typeof i === 'string' ? i.trim() : i)).filter((i) => i !== '');
  return kept.length === 0 ? [''] : kept;
}

function fromFlag(field: ConfigField, sources: ConfigSources, label: string): Candidate | undefined {
  if (field === 'staging') return undefined;
  const value = sources.flags[field];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  const source: Source = { kind: 'flag', label };
  if (COMMAND_LIST_FIELDS.has(field)) return { value: commandList(value), source };
  // Flags split on commas only: a space inside a flag value is an error to report, not a separator.
  return { value: LIST_FIELDS.has(field) ? splitList(value as unknown[], /,/) : value, source };
}

function fromText(field: ConfigField, value: unknown, source: Source): Candidate | undefined {
  if (isBlank(value)) return undefined;
  if (COMMAND_LIST_FIELDS.has(field)) return { value: commandList(value), source };
  if (!LIST_FIELDS.has(field)) return { value, source };
  return { value: splitList(Array.isArray(value) ? value : [value], /[\s,]+/), source };
}

function defaultFor(field: ConfigField, sources: ConfigSources): Candidate | undefined {
  const source: Source = { kind: 'default', label: 'default' };
  if (field === 'home') {
    const snapCommon = sources.env.SNAP_COMMON;
    return isBlank(snapCommon)
      ? { value: DEFAULT_HOME, source }
      : {
          value: join(snapCommon as string, 'acme'),
          source: { kind: 'default', label: 'default ($SNAP_COMMON/acme)' },
        };
  }
  if (field === 'node') {
    return sources.hostname === undefined
      ? undefined
      : { value: sources.hostname, source: { kind: 'default', label: 'default of --node (the host name)' } };
  }
  if (field === 'json' || field === 'verbose' || field === 'quiet') return { value: false, source };
  const value = DEFAULTS[field];
  return value === undefined ? undefined : { value, source };
}

/**
 * Picks, for every field, the value of the highest-priority source that sets it (pure).
 * An empty or blank environment variable or snap option counts as unset.
 */
export function mergeSources(sources: ConfigSources): Merged {
  const input: Record<string, unknown> = {};
  const picked: Partial<Record<ConfigField, Source>> = {};
  for (const key of CONFIG_KEYS) {
    const winner =
      (key.flag === undefined ? undefined : fromFlag(key.field, sources, key.flag)) ??
      (key.env === undefined
        ? undefined
        : fromText(key.field, sources.env[key.env], { kind: 'env', label: key.env })) ??
      (key.snap === undefined
        ? undefined
        : fromText(key.field, sources.snap[key.snap], { kind: 'snap', label: `snap option ${key.snap}` })) ??
      defaultFor(key.field, sources);
    if (winner === undefined) continue;
    input[key.field] = winner.value;
    picked[key.field] = winner.source;
  }
  return { input, sources: picked };
}
