/**
 * Configuration: flags > environment > snap options (`snapctl get`) > defaults, merged and validated
 * by one zod schema into a deeply frozen Config. Only this folder reads the environment or calls snapctl,
 * and even here only through the `env` it is given.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, messageOf } from '../errors';
import { quote } from './_domain';
import { SNAP_OPTION_KEYS } from './_keys';
import { resolveWithSources } from './_resolve';
import { readSnapOptions } from './_snapctl';
import type { Config, ConfigSources, RawFlags } from './_types';

export type { Config, ConfigField, ConfigSources, HttpAddress, KeyType, RawFlags } from './_types';
export {
  CONFIG_KEYS,
  DEFAULT_HOME,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  LETSENCRYPT_DIRECTORY_URL,
  LETSENCRYPT_STAGING_DIRECTORY_URL,
  MAX_DOMAINS,
  type ConfigKeyInfo,
} from './_keys';
export { normaliseDomain } from './_domain';
export { readSnapOptions, SNAPCTL_TIMEOUT_MS, type ReadSnapOptionsOptions } from './_snapctl';

/** Options of loadConfig(). */
export interface LoadConfigOptions {
  flags: RawFlags;
  /** The environment to read; the caller passes process.env, nothing here reads it directly. */
  env: NodeJS.ProcessEnv;
  /** Runs `snapctl get …`, only when env.SNAP is set. Default: readSnapOptions() with `env`. */
  snapOptions?: (keys: string[]) => Promise<Record<string, unknown>>;
  /** Directory that relative paths are resolved against. Default: process.cwd(). */
  cwd?: string;
}

/**
 * Merges flags, environment, snap options and defaults, validates them and returns a deeply frozen Config (pure).
 * @throws ConfigError listing every invalid setting, one per line, each naming its source.
 */
export function resolveConfig(sources: ConfigSources): Config {
  return resolveWithSources(sources).config;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;

async function checkCaBundle(path: string, label: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? 'the file does not exist' : `cannot read the file: ${messageOf(error)}`;
    throw new ConfigError(`Invalid ${label} ${quote(path)}: ${detail}`, { source: label, cause: error });
  }
  if (!PEM_CERTIFICATE.test(text)) {
    throw new ConfigError(`Invalid ${label} ${quote(path)}: the file contains no PEM CERTIFICATE block`, { source: label });
  }
}

/**
 * Reads every source (snapctl only when env.SNAP is set), resolves the Config and checks the CA bundle file.
 * @throws ConfigError for any invalid setting, a failing snapctl, or an unreadable CA bundle.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const { env } = options;
  const inSnap = env.SNAP !== undefined && env.SNAP !== '';
  const readSnap = options.snapOptions ?? ((keys: string[]) => readSnapOptions(keys, { env }));
  const snap = inSnap ? await readSnap([...SNAP_OPTION_KEYS]) : {};
  const { config, sources } = resolveWithSources({ flags: options.flags, env, snap, cwd: options.cwd ?? process.cwd() });
  if (config.caBundlePath !== undefined) {
    await checkCaBundle(config.caBundlePath, sources.caBundle?.label ?? '--ca-bundle');
  }
  return config;
}
