import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConfigError, StorageError, messageOf } from '../errors';
import { isHaproxyWord } from '../haproxyWord';
import { postRenewHooksDir } from '../issuance';
import { quoteValue } from './_options';

/** Where everything of the snap lives; every path is absolute. */
export interface SnapLayout {
  /** `$SNAP_COMMON`: kept across refreshes and reverts. */
  readonly common: string;
  /** `$SNAP_COMMON/acme`: the CLI's home (config/ defaults to it when SNAP_COMMON is set). 0700. */
  readonly home: string;
  /** `$SNAP_COMMON/acme/crt-list.txt`: kept across refreshes and reverts, like the bundles it lists. 0600. */
  readonly crtList: string;
  /** `$SNAP_COMMON/acme/hooks/post-renew.d`: executables run after every renewal. 0700. */
  readonly hooksDir: string;
  /** `$SNAP_DATA/haproxy`: HAProxy's sockets and generated configuration. 0700. */
  readonly haproxyDir: string;
  /** `$SNAP_DATA/haproxy/admin.sock`: the runtime API, mode 600, level admin. */
  readonly adminSocket: string;
  /** `$SNAP_DATA/haproxy/master.sock`: the master CLI (`haproxy -W -S`), mode 600. */
  readonly masterSocket: string;
  /** `$SNAP_DATA/haproxy/haproxy.cfg`: rendered at every start of the haproxy service. */
  readonly haproxyConfig: string;
  /** `$SNAP_COMMON/acme/haproxy`: our bundles, and the certificates users drop in by hand. */
  readonly bundlesDir: string;
  /** `$SNAP_DATA/haproxy/manual-crt-list.txt`: those hand-made certificates, rewritten at every start. */
  readonly manualCrtList: string;
  /** `$SNAP_DATA/haproxy/https.sock`: the TLS-terminating frontend behind the TLS-ALPN-01 front. */
  readonly httpsSocket: string;
}

/**
 * Every path of the layout is written into haproxy.cfg as one word (src/haproxyWord.ts), and the master
 * socket into HAProxy's `-S <path>,mode,600` argument, where a comma would start a setting.
 */
const PATH_CHARACTERS = 'expected an absolute path of printable ASCII without white space, quotes, "\\", "#", "$" or ","';

function directoryOf(env: Readonly<Record<string, string | undefined>>, name: 'SNAP_DATA' | 'SNAP_COMMON'): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(`Cannot find the snap's directories: $${name} is not set; run this inside the snap`, { source: name });
  }
  if (!isAbsolute(value) || !isHaproxyWord(value) || value.includes(',')) {
    throw new ConfigError(`Cannot use $${name} ${quoteValue(value)}: ${PATH_CHARACTERS}`, { source: name });
  }
  return value;
}

/**
 * The snap's layout from `$SNAP_DATA` and `$SNAP_COMMON` (pure: reads only the env it is given).
 * snapcraft.yaml gives the apps the same paths as ACME_HAPROXY_* variables; a unit test keeps them equal.
 * @throws ConfigError when either variable is unset, relative, or holds a character haproxy.cfg cannot take.
 */
export function snapLayout(env: Readonly<Record<string, string | undefined>>): SnapLayout {
  const data = directoryOf(env, 'SNAP_DATA');
  const common = directoryOf(env, 'SNAP_COMMON');
  const home = join(common, 'acme');
  const haproxyDir = join(data, 'haproxy');
  return Object.freeze({
    common,
    home,
    crtList: join(home, 'crt-list.txt'),
    hooksDir: postRenewHooksDir(home),
    haproxyDir,
    adminSocket: join(haproxyDir, 'admin.sock'),
    masterSocket: join(haproxyDir, 'master.sock'),
    haproxyConfig: join(haproxyDir, 'haproxy.cfg'),
    bundlesDir: join(home, 'haproxy'),
    manualCrtList: join(haproxyDir, 'manual-crt-list.txt'),
    httpsSocket: join(haproxyDir, 'https.sock'),
  });
}

/** The cause in words; the errno message alone repeats the path. */
function detailOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return 'a file is in the way';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return messageOf(error);
}

/** mkdir -p, then chmod: mkdir's mode is masked by the umask and never applied to a directory that exists. */
async function privateDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
  } catch (error) {
    throw new StorageError('STORAGE_IO', `Cannot create directory ${JSON.stringify(path)}: ${detailOf(error)}`, { path, cause: error });
  }
}

/** Creates an empty crt-list unless one exists: its lines are the certificates HAProxy loads at start. */
async function emptyCrtList(path: string): Promise<void> {
  try {
    await writeFile(path, '', { flag: 'wx', mode: 0o600 });
    await chmod(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new StorageError('STORAGE_IO', `Cannot create crt-list ${JSON.stringify(path)}: ${detailOf(error)}`, { path, cause: error });
  }
}

/**
 * Creates the layout, idempotently: home, hooks/, hooks/post-renew.d/, home's haproxy/ (where users
 * drop certificates by hand, as Immich Distribution's configure hook creates it) and the haproxy directory 0700
 * (tightened if they exist), and an empty crt-list 0600 unless one exists (never truncated).
 * @throws StorageError when a directory or the crt-list cannot be created.
 */
export async function ensureSnapLayout(layout: SnapLayout): Promise<void> {
  await privateDirectory(layout.home);
  await privateDirectory(join(layout.home, 'hooks'));
  await privateDirectory(layout.hooksDir);
  await privateDirectory(layout.bundlesDir);
  await privateDirectory(layout.haproxyDir);
  await emptyCrtList(layout.crtList);
}
