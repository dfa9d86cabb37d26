/**
 * Which pebble, pebble-challtestsrv and HAProxy a run uses, and what they can do, so that each
 * test asserts the behaviour of the version it runs against.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { requireBinary } from './_binaries';

/** Per-command timeout of the version probes. */
const PROBE_TIMEOUT_MS = 10_000;

/** The pebble of a run. */
export interface PebbleVersion {
  path: string;
  /** e.g. `2.4.0+ds1-2+b4` (Debian) or `2.7.0`; `unknown` when nothing says. */
  version: string;
  /** Its directory has `renewalInfo` (ARI); pebble 2.4 has not. */
  ari: boolean;
  /** Its directory has `meta.profiles`, so `newOrder` takes `profile`; pebble 2.4 has not. */
  profiles: boolean;
}

/** The HAProxy of a run. */
export interface HaproxyVersion {
  path: string;
  /** e.g. `2.6.12-1+deb12u4`, from `haproxy -v`. */
  version: string;
  /** Major and minor, e.g. `[2, 6]`. */
  branch: [number, number];
}

/** The peers a run uses. */
export interface PeerVersions {
  pebble: PebbleVersion;
  challtestsrv: { path: string; version: string };
  haproxy: HaproxyVersion;
}

function outputOf(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // `pebble -version` of 2.4 exits 2 ("flag provided but not defined"): its output still tells.
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    return `${stdout}${stderr}`;
  }
}

/** The Debian package version of the package that owns `file`, or undefined (not Debian, or not packaged). */
function debianVersionOf(file: string): string | undefined {
  // `dpkg-query -S /usr/bin/pebble` → `pebble: /usr/bin/pebble`
  const owner = /^([^:\s]+):/.exec(outputOf('dpkg-query', ['-S', file]))?.[1];
  if (owner === undefined) return undefined;
  const version = outputOf('dpkg-query', ['-W', '-f', '${Version}', owner]).trim();
  return /^\d/.test(version) ? version : undefined;
}

/**
 * The version of a Go-built pebble program: its `-version` output (`Pebble version: 2.7.0`), else
 * its Debian package, else the one in its file name (`pebble-2.7.0`, as a tree build says `dev`).
 */
function goPeerVersion(file: string): string {
  const said = /version: (\S+)/i.exec(outputOf(file, ['-version']))?.[1];
  if (said !== undefined && said !== 'dev') return said;
  return debianVersionOf(file) ?? /-(\d+\.\d+\.\d+)$/.exec(path.basename(file))?.[1] ?? said ?? 'unknown';
}

/** The flags a Go program lists in its `-h` output, e.g. `["-defaultIPv4", "-dns01", "-doh", …]`. */
export function goFlagsOf(file: string): string[] {
  return [...outputOf(file, ['-h']).matchAll(/^\s+(-[\w-]+)/gm)].map((m) => m[1] as string);
}

/** `haproxy -v`; first line `HAProxy version 3.0.11-9e587df 2025/06/02 - https://haproxy.org/`. */
export function haproxyVersionOf(file: string): HaproxyVersion {
  const firstLine = outputOf(file, ['-v']).split('\n')[0] ?? '';
  const match = /^HA-?Proxy version (\d+)\.(\d+)(\S*)/.exec(firstLine);
  if (match === null) throw new Error(`Cannot read the version of "${file}": \`haproxy -v\` printed "${firstLine}"`);
  return { path: file, version: `${match[1]}.${match[2]}${match[3]}`, branch: [Number(match[1]), Number(match[2])] };
}

/** Versions of the configured binaries; the pebble features are filled in once its directory answers. */
export function detectPeerVersions(features: Pick<PebbleVersion, 'ari' | 'profiles'>): PeerVersions {
  const [pebble, challtestsrv, haproxy] = ['pebble', 'pebble-challtestsrv', 'haproxy'].map(requireBinary) as [
    string,
    string,
    string,
  ];
  return {
    pebble: { path: pebble, version: goPeerVersion(pebble), ...features },
    challtestsrv: { path: challtestsrv, version: goPeerVersion(challtestsrv) },
    haproxy: haproxyVersionOf(haproxy),
  };
}

/**
 * One line for the log: `pebble 2.7.0 (ARI, profiles) /x/pebble, pebble-challtestsrv 2.7.0 /x/…,
 * HAProxy 3.0.11 /x/haproxy`; without the paths when `options.paths` is false (default: true).
 */
export function describePeerVersions(v: PeerVersions, options: { paths?: boolean } = {}): string {
  const features = [v.pebble.ari ? 'ARI' : 'no ARI', v.pebble.profiles ? 'profiles' : 'no profiles'].join(', ');
  const at = (file: string): string => (options.paths === false ? '' : ` ${file}`);
  return [
    `pebble ${v.pebble.version} (${features})${at(v.pebble.path)}`,
    `pebble-challtestsrv ${v.challtestsrv.version}${at(v.challtestsrv.path)}`,
    `HAProxy ${v.haproxy.version}${at(v.haproxy.path)}`,
  ].join(', ');
}

/** Whether `haproxy` is at least `major.minor`, e.g. `haproxyAtLeast(v.haproxy, 2, 8)`. */
export function haproxyAtLeast(haproxy: HaproxyVersion, major: number, minor: number): boolean {
  const [hasMajor, hasMinor] = haproxy.branch;
  return hasMajor > major || (hasMajor === major && hasMinor >= minor);
}
