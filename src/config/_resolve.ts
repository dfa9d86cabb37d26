import type { z } from 'zod';
import { ConfigError } from '../errors';
import { quote } from './_domain';
import { mergeSources, SOURCE_RANK, type Merged, type Source } from './_merge';
import { CONFIG_KEYS } from './_keys';
import { configSchema, FULL_MESSAGE } from './_schema';
import type { Config, ConfigField, ConfigSources } from './_types';

/** A resolved Config plus the per-field record of which source supplied each value. */
export interface Resolved {
  readonly config: Config;
  readonly sources: Readonly<Partial<Record<ConfigField, Source>>>;
}

function valueAt(input: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Fields whose value is a secret: their messages say `Invalid <source>: the value …` and never show it. */
const SECRET_FIELDS: ReadonlySet<string> = new Set<ConfigField>(['eabHmacKey', 'storage']);

/** One line per issue: `Invalid <source> "<value>": <detail>`, the source being the field's winner. */
function describeIssue(issue: z.core.$ZodIssue, merged: Merged, input: Record<string, unknown>): string {
  if (issue.code === 'custom' && issue.params?.[FULL_MESSAGE] === true) return issue.message;
  const field = issue.path[0];
  const source = typeof field === 'string' ? merged.sources[field as ConfigField] : undefined;
  const label = source?.label ?? String(field);
  const raw = valueAt(input, issue.path);
  const hidden = raw === undefined || Array.isArray(raw) || SECRET_FIELDS.has(String(field));
  const shown = hidden ? '' : ` ${quote(raw)}`;
  return `Invalid ${label}${shown}: ${issue.message}`;
}

function toConfigError(
  issues: readonly z.core.$ZodIssue[],
  merged: Merged,
  input: Record<string, unknown>,
): ConfigError {
  const lines = [...new Set(issues.map((issue) => describeIssue(issue, merged, input)))];
  const labels = [
    ...new Set(issues.map((i) => merged.sources[i.path[0] as ConfigField]?.label).filter((l) => l !== undefined)),
  ];
  const message =
    lines.length === 1
      ? (lines[0] as string)
      : [`Cannot load configuration: ${lines.length} settings are invalid`, ...lines].join('\n');
  return new ConfigError(message, { source: labels.length === 0 ? undefined : labels.join(', ') });
}

function deepFreeze(config: Config): Config {
  Object.freeze(config.domains);
  Object.freeze(config.httpAddress);
  Object.freeze(config.output);
  config.haproxy.sockets.forEach((socket) => Object.freeze(socket));
  Object.freeze(config.haproxy.sockets);
  if (config.haproxy.masterSocket !== undefined) Object.freeze(config.haproxy.masterSocket);
  if (config.haproxy.reloadCommand !== undefined) Object.freeze(config.haproxy.reloadCommand);
  Object.freeze(config.haproxy);
  config.deployHooks.forEach((argv) => Object.freeze(argv));
  Object.freeze(config.deployHooks);
  if (config.eab !== undefined) Object.freeze(config.eab);
  Object.freeze(config.localPorts);
  return Object.freeze(config);
}

const ALLOW_REMOTE = CONFIG_KEYS.find((key) => key.field === 'haproxyAllowRemote');

/** The remediation for a remote TCP socket, in the same kind of source that supplied the socket. */
function allowRemoteHint(source: Source | undefined): string {
  if (source?.kind === 'env') return `set ${ALLOW_REMOTE?.env}=true`;
  if (source?.kind === 'snap') return `set snap option ${ALLOW_REMOTE?.snap}=true`;
  return `pass ${ALLOW_REMOTE?.flag}`;
}

/**
 * Merges the sources, applies defaults and validates the result with one zod schema (pure).
 * The HTTP port rule: a port inside the address is used unless http-port comes from a source of
 * equal or higher priority (flag > env > snap), in which case http-port wins; a unix address has no port.
 * @throws ConfigError listing every invalid setting, each named by the source that supplied it.
 */
export function resolveWithSources(sources: ConfigSources): Resolved {
  const merged = mergeSources(sources);
  const portSource = merged.sources.httpPort;
  const addressSource = merged.sources.httpAddress;
  const httpPortWins =
    portSource !== undefined &&
    addressSource !== undefined &&
    portSource.kind !== 'default' &&
    SOURCE_RANK[portSource.kind] >= SOURCE_RANK[addressSource.kind];
  const remoteHints = {
    haproxySocket: allowRemoteHint(merged.sources.haproxySocket),
    haproxyMasterSocket: allowRemoteHint(merged.sources.haproxyMasterSocket),
  };
  const eabSources = { kid: merged.sources.eabKid?.label, hmacKey: merged.sources.eabHmacKey?.label };
  const input = { ...merged.input, cwd: sources.cwd, httpPortWins, remoteHints, eabSources };
  const result = configSchema.safeParse(input);
  if (!result.success) throw toConfigError(result.error.issues, merged, input);
  return { config: deepFreeze(result.data), sources: Object.freeze({ ...merged.sources }) };
}
