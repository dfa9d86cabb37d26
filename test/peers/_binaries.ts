import * as fs from 'node:fs';
import * as path from 'node:path';

/** The executables a peer set needs. */
export const PEER_BINARIES = ['pebble', 'pebble-challtestsrv', 'haproxy', 'openssl'] as const;

/** Searched after PATH: Debian installs haproxy in /usr/sbin, which a non-root PATH often lacks. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of an executable named `name` on PATH (then the sbin dirs), or undefined. */
export function resolveBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== ''), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/** Absolute path of `name`, or an error that says how to install it. */
export function requireBinary(name: string): string {
  const found = resolveBinary(name);
  if (found === undefined) {
    throw new Error(`Cannot find "${name}" on PATH or in ${SBIN_DIRS.join(', ')}: install it with \`apt-get install pebble haproxy openssl\``);
  }
  return found;
}
