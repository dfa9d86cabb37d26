import { join } from 'node:path';
import { DEFAULT_HOME } from './_defaults';
import type { ConfigKeyInfo } from './_keyInfo';
import { CONFIG_KEYS } from './_keys';
import type { ConfigField, ConfigSources } from './_types';

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

/** A flag's value as commander gives it; a repeatable flag given no time is an empty list, so unset. */
function fromFlag(key: ConfigKeyInfo, sources: ConfigSources): Candidate | undefined {
  if (key.flag === undefined || key.field === 'staging') return undefined;
  const value = sources.flags[key.field];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  const source: Source = { kind: 'flag', label: key.flag };
  if (key.kind === 'commands') return { value: commandList(value), source };
  // Flags split on commas only: a space inside a flag value is an error to report, not a separator.
  return { value: key.kind === 'list' ? splitList(value as unknown[], /,/) : value, source };
}

/** An environment variable or snap option: blank is unset; lists split on commas and white space. */
function fromText(key: ConfigKeyInfo, value: unknown, source: Source): Candidate | undefined {
  if (isBlank(value)) return undefined;
  if (key.kind === 'commands') return { value: commandList(value), source };
  if (key.kind !== 'list') return { value, source };
  return { value: splitList(Array.isArray(value) ? value : [value], /[\s,]+/), source };
}

/** The table's default, or the computed one of `home` (from `$SNAP_COMMON`) and `node` (the host name). */
function defaultFor(key: ConfigKeyInfo, sources: ConfigSources): Candidate | undefined {
  const source: Source = { kind: 'default', label: 'default' };
  if (key.field === 'home') {
    const snapCommon = sources.env.SNAP_COMMON;
    return isBlank(snapCommon)
      ? { value: DEFAULT_HOME, source }
      : {
          value: join(snapCommon as string, 'acme'),
          source: { kind: 'default', label: 'default ($SNAP_COMMON/acme)' },
        };
  }
  if (key.field === 'node') {
    return sources.hostname === undefined
      ? undefined
      : { value: sources.hostname, source: { kind: 'default', label: 'default of --node (the host name)' } };
  }
  return key.defaultValue === undefined ? undefined : { value: key.defaultValue, source };
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
      fromFlag(key, sources) ??
      (key.env === undefined ? undefined : fromText(key, sources.env[key.env], { kind: 'env', label: key.env })) ??
      (key.snap === undefined
        ? undefined
        : fromText(key, sources.snap[key.snap], { kind: 'snap', label: `snap option ${key.snap}` })) ??
      defaultFor(key, sources);
    if (winner === undefined) continue;
    input[key.field] = winner.value;
    picked[key.field] = winner.source;
  }
  return { input, sources: picked };
}
