/**
 * Configuration: flags > environment > snap options (`snapctl get`) > defaults, merged and validated
 * by one zod schema into a deeply frozen Config. Only this folder reads the environment or calls snapctl,
 * and even here only through the `env` it is given. CONFIG_KEYS is the one table of settings: every
 * command's flags, `--help`, the environment variables, the snap options and docs/configuration.md.
 */
import { constants } from 'node:fs';
import { access, lstat, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ConfigError, messageOf } from '../errors';
import { quote } from './_domain';
import { SNAP_OPTION_KEYS } from './_keys';
import type { Source } from './_merge';
import { readSnapOptions } from './_snapctl';
import type { Config, ConfigSources, RawFlags } from './_types';

export type {
  ChallengeType,
  Config,
  ConfigField,
  ConfigSources,
  ExternalAccountBinding,
  HaproxyConfig,
  Http01Mode,
  HttpAddress,
  KeyType,
  RawFlags,
  RuntimeSocketAddress,
  StorageConfig,
} from './_types';
export { checkStorage, describeStorage } from './_storage';
export {
  DEFAULT_HAPROXY_BUFSIZE,
  DEFAULT_HOME,
  DEFAULT_HOOK_TIMEOUT_MS,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_KEY_TYPE,
  DEFAULT_LOCAL_PORTS,
  DEFAULT_LEASE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_SYNC_INTERVAL_MS,
  HTTP01_MODES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  KEY_TYPES,
  LETSENCRYPT_DIRECTORY_URL,
  LETSENCRYPT_STAGING_DIRECTORY_URL,
  MAX_DOMAINS,
} from './_defaults';
export { CONFIG_KEYS, SNAP_OPTION_KEYS } from './_keys';
export { CONFIG_GROUP_HEADINGS, type ConfigGroup, type ConfigKeyInfo, type ConfigKind } from './_keyInfo';
export { CONFIG_DOCS_END, CONFIG_DOCS_START, renderConfigTable, withConfigTable } from './_docs';
export { normaliseDomain, quote } from './_domain';
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
  /** This machine's host name, the default of `--node`. Default: os.hostname(). */
  hostname?: string;
}

/**
 * Merges flags, environment, snap options and defaults, validates them and returns a deeply frozen Config
 * (pure, except that it reads os.hostname() when `sources.hostname` is not given).
 * @throws ConfigError listing every invalid setting, one per line, each naming its source.
 */
export function resolveConfig(sources: ConfigSources): Config {
  return resolver().resolveWithSources({ ...sources, hostname: sources.hostname ?? hostname() }).config;
}

/**
 * The schema, and zod with it, load on first use: `acme daemon` only declares its flags from
 * CONFIG_KEYS and never resolves a Config, so it stays small (see docs/renewal.md).
 */
function resolver(): typeof import('./_resolve') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return require('./_resolve') as typeof import('./_resolve');
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
    throw new ConfigError(`Invalid ${label} ${quote(path)}: the file contains no PEM CERTIFICATE block`, {
      source: label,
    });
  }
}

/** Where a symbolic link finally points: its real path, or its own target when that is missing. */
async function linkTarget(path: string): Promise<string> {
  return realpath(path).catch(() =>
    readlink(path).then(
      (target) => resolve(dirname(path), target),
      () => path,
    ),
  );
}

/**
 * The crt-list may be a file or a `crt` directory; HAProxy reads it at start, so it must exist already.
 * A symbolic link is refused: the file is replaced by renaming a new one over it, which would replace
 * the link with a regular file and leave its target, the file HAProxy may load, stale.
 */
async function checkCrtList(path: string, label: string): Promise<void> {
  const info = await lstat(path).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? 'the path does not exist; create the crt-list file or crt directory that haproxy.cfg names'
        : `cannot read the path: ${messageOf(error)}`;
    throw new ConfigError(`Invalid ${label} ${quote(path)}: ${detail}`, { source: label, cause: error });
  });
  if (info.isSymbolicLink()) {
    const target = await linkTarget(path);
    throw new ConfigError(
      `Invalid ${label} ${quote(path)}: it is a symbolic link to ${quote(target)}, which an update would replace with a regular file; point ${label} at the real file ${quote(target)}`,
      { source: label },
    );
  }
  if (!info.isFile() && !info.isDirectory()) {
    throw new ConfigError(`Invalid ${label} ${quote(path)}: expected a crt-list file or a crt directory`, {
      source: label,
    });
  }
}

/**
 * Finds a broken reload command or deploy hook now rather than when it is needed. A bare name is looked up on
 * PATH at run time. A hook's owner and write permissions are checked only right before it runs, by deploy-hooks/.
 */
async function checkProgram(program: string, label: string): Promise<void> {
  if (!program.startsWith('/')) return;
  try {
    await access(program, constants.X_OK);
    if ((await stat(program)).isFile()) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? 'the program does not exist' : 'the program is not executable';
    throw new ConfigError(`Invalid ${label} program ${quote(program)}: ${detail}`, { source: label, cause: error });
  }
  throw new ConfigError(`Invalid ${label} program ${quote(program)}: the program is not a file`, { source: label });
}

const labelOf = (source: Source | undefined, fallback: string): string => source?.label ?? fallback;

/** Every deploy hook comes from the same source, since a list is taken whole from its highest-priority source. */
async function checkDeployHooks(hooks: Config['deployHooks'], source: Source | undefined): Promise<void> {
  for (const argv of hooks) {
    await checkProgram(argv[0] as string, labelOf(source, '--deploy-hook'));
  }
}

/**
 * Reads every source (snapctl only when env.SNAP is set), resolves the Config and checks the files it names:
 * the CA bundle, the HAProxy crt-list, and the programs of the reload command and of each deploy hook when
 * they are absolute paths (existing, executable files).
 * @throws ConfigError for any invalid setting, a failing snapctl, or a missing or unusable file.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const { env } = options;
  const inSnap = env.SNAP !== undefined && env.SNAP !== '';
  const readSnap = options.snapOptions ?? ((keys: string[]) => readSnapOptions(keys, { env }));
  const snap = inSnap ? await readSnap([...SNAP_OPTION_KEYS]) : {};
  const { config, sources } = resolver().resolveWithSources({
    flags: options.flags,
    env,
    snap,
    cwd: options.cwd ?? process.cwd(),
    hostname: options.hostname ?? hostname(),
  });
  if (config.caBundlePath !== undefined) {
    await checkCaBundle(config.caBundlePath, labelOf(sources.caBundle, '--ca-bundle'));
  }
  if (config.haproxy.crtList !== undefined) {
    await checkCrtList(config.haproxy.crtList, labelOf(sources.haproxyCrtList, '--haproxy-crt-list'));
  }
  if (config.haproxy.reloadCommand !== undefined) {
    await checkProgram(
      config.haproxy.reloadCommand[0] as string,
      labelOf(sources.haproxyReloadCmd, '--haproxy-reload-cmd'),
    );
  }
  await checkDeployHooks(config.deployHooks, sources.deployHook);
  return config;
}
