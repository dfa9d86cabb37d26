import { ConfigError } from '../../../src/errors';
import { resolveConfig, type Config, type ConfigSources } from '../../../src/config';

/** The working directory every config test resolves relative paths against. */
export const CWD = '/srv/app';

/** The host name every config test passes, so that the default node name does not depend on the machine. */
export const HOSTNAME = 'test-host';

/** resolveConfig() with empty sources plus `partial`. */
export function resolve(partial: Partial<ConfigSources> = {}): Config {
  return resolveConfig({ flags: {}, env: {}, snap: {}, cwd: CWD, hostname: HOSTNAME, ...partial });
}

/** The ConfigError resolveConfig() throws for `partial`; fails the test when it does not throw one. */
export function errorOf(partial: Partial<ConfigSources>): ConfigError {
  try {
    resolve(partial);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected resolveConfig() to throw');
}
