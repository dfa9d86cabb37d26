import * as fs from 'node:fs';
import * as path from 'node:path';

/** The executables a peer set needs. */
export const PEER_BINARIES = ['pebble', 'pebble-challtestsrv', 'haproxy', 'openssl'] as const;

/** A peer executable the harness can run. */
export type PeerBinary = (typeof PEER_BINARIES)[number];

/**
 * Env var that names the executable to run instead of the one found on PATH, per peer: how the
 * test matrix runs the same tests against a newer pebble or HAProxy. Unset or empty: PATH.
 */
export const PEER_BINARY_ENV: Readonly<Partial<Record<PeerBinary, string>>> = Object.freeze({
  pebble: 'ACME_TEST_PEBBLE',
  'pebble-challtestsrv': 'ACME_TEST_CHALLTESTSRV',
  haproxy: 'ACME_TEST_HAPROXY',
});

/** Searched after PATH: Debian installs haproxy in /usr/sbin, which a non-root PATH often lacks. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function isExecutableFile(candidate: string): boolean {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** The path the env var of `name` names (made absolute), or undefined when it is unset or empty. */
function overrideOf(name: string): string | undefined {
  const variable = PEER_BINARY_ENV[name as PeerBinary];
  const value = variable === undefined ? undefined : process.env[variable];
  return value === undefined || value === '' ? undefined : path.resolve(value);
}

/**
 * Absolute path of the executable `name`: the file its `ACME_TEST_*` variable names (undefined
 * when that is not an executable file), else the first on PATH, then in the sbin dirs.
 */
export function resolveBinary(name: string): string | undefined {
  const override = overrideOf(name);
  if (override !== undefined) return isExecutableFile(override) ? override : undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== ''), ...SBIN_DIRS];
  return dirs.map((dir) => path.join(dir, name)).find(isExecutableFile);
}

/** What to tell whoever runs the tests when `name` cannot be resolved: the variable, or how to install it. */
export function missingBinaryHint(name: string): string {
  const override = overrideOf(name);
  if (override !== undefined)
    return `"${override}" named by ${PEER_BINARY_ENV[name as PeerBinary]} is not an executable file`;
  return `"${name}" is on neither PATH nor ${SBIN_DIRS.join(', ')}: run \`bash scripts/setup.sh\` (as root) or \`apt-get install pebble haproxy openssl\``;
}

/** Absolute path of `name`, or an error that says how to install it (or which variable is wrong). */
export function requireBinary(name: string): string {
  const found = resolveBinary(name);
  if (found === undefined) throw new Error(`Cannot find "${name}": ${missingBinaryHint(name)}`);
  return found;
}
