import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { loadConfig, resolveConfig, type ConfigSources } from '../../../src/config';
import { CWD, errorOf, resolve } from './_resolve';

const ONE_WORD = 'which HAProxy would not read as part of one word';
const HOME_FIX = 'choose a home of printable ASCII without spaces, "#", quotes, "\\", "$", "[" or "]"';
const CRT_LIST_FIX = 'move the crt-list to a path of printable ASCII without spaces, "#", quotes, "\\" or "$"';

/** The message for a home (`raw`, quoted) whose bundle paths (`bundles`, quoted) have `problem`. */
const homeMessage = (label: string, raw: string, bundles: string, problem: string): string =>
  `Invalid ${label} ${raw}: a bundle path under it (${bundles}) cannot go into HAProxy's crt-list: ${problem}; ${HOME_FIX}`;

describe('resolveConfig() refuses a home whose bundle paths HAProxy cannot read from a crt-list', () => {
  test.each<[string, Partial<ConfigSources>, string]>([
    [
      'a space',
      { flags: { home: '/srv/a b' } },
      homeMessage('--home', '"/srv/a b"', '"/srv/a b/haproxy/<name>.pem"', `it contains a space, ${ONE_WORD}`),
    ],
    [
      'a newline that would add a crt-list line',
      { flags: { home: '/srv/x\n[verify none] x' } },
      homeMessage(
        '--home',
        '"/srv/x\\n[verify none] x"',
        '"/srv/x\\n[verify none] x/haproxy/<name>.pem"',
        `it contains a newline, ${ONE_WORD}`,
      ),
    ],
    [
      'a tab',
      { env: { ACME_HOME: '/srv/a\tb' } },
      homeMessage('ACME_HOME', '"/srv/a\\tb"', '"/srv/a\\tb/haproxy/<name>.pem"', `it contains a tab, ${ONE_WORD}`),
    ],
    [
      'a carriage return',
      { snap: { 'acme-home': '/srv/a\rb' } },
      homeMessage(
        'snap option acme-home',
        '"/srv/a\\rb"',
        '"/srv/a\\rb/haproxy/<name>.pem"',
        `it contains a control character (U+000D), ${ONE_WORD}`,
      ),
    ],
    [
      '"#"',
      { flags: { home: '/srv/a#b' } },
      homeMessage('--home', '"/srv/a#b"', '"/srv/a#b/haproxy/<name>.pem"', `it contains "#", ${ONE_WORD}`),
    ],
    [
      'a double quote',
      { flags: { home: '/srv/"a"' } },
      homeMessage('--home', '"/srv/\\"a\\""', '"/srv/\\"a\\"/haproxy/<name>.pem"', `it contains """, ${ONE_WORD}`),
    ],
    [
      'a single quote',
      { flags: { home: "/srv/a'b" } },
      homeMessage('--home', `"/srv/a'b"`, `"/srv/a'b/haproxy/<name>.pem"`, `it contains "'", ${ONE_WORD}`),
    ],
    [
      'a backslash',
      { flags: { home: '/srv/a\\b' } },
      homeMessage('--home', '"/srv/a\\\\b"', '"/srv/a\\\\b/haproxy/<name>.pem"', `it contains "\\", ${ONE_WORD}`),
    ],
    [
      '"$"',
      { flags: { home: '/srv/$HOME' } },
      homeMessage('--home', '"/srv/$HOME"', '"/srv/$HOME/haproxy/<name>.pem"', `it contains "$", ${ONE_WORD}`),
    ],
    [
      'a non-ASCII letter',
      { flags: { home: '/srv/caf\u00e9' } },
      homeMessage(
        '--home',
        '"/srv/caf\u00e9"',
        '"/srv/caf\u00e9/haproxy/<name>.pem"',
        `it contains a non-ASCII character (U+00E9), ${ONE_WORD}`,
      ),
    ],
    [
      'a line separator',
      { flags: { home: '/srv/a\u2028b' } },
      homeMessage(
        '--home',
        '"/srv/a\\u2028b"',
        '"/srv/a\\u2028b/haproxy/<name>.pem"',
        `it contains a non-ASCII character (U+2028), ${ONE_WORD}`,
      ),
    ],
    [
      '"[", which opens SSL options in a crt-list line',
      { flags: { home: '/srv/a[1' } },
      homeMessage(
        '--home',
        '"/srv/a[1"',
        '"/srv/a[1/haproxy/<name>.pem"',
        'it contains "[", which HAProxy would read as a bracket around SSL options in a crt-list line',
      ),
    ],
    [
      '"]"',
      { flags: { home: '/srv/a]' } },
      homeMessage(
        '--home',
        '"/srv/a]"',
        '"/srv/a]/haproxy/<name>.pem"',
        'it contains "]", which HAProxy would read as a bracket around SSL options in a crt-list line',
      ),
    ],
    [
      'a relative home under a working directory with a space',
      { flags: { home: 'acme' }, cwd: '/srv/my work' },
      homeMessage('--home', '"acme"', '"/srv/my work/acme/haproxy/<name>.pem"', `it contains a space, ${ONE_WORD}`),
    ],
    [
      'a NUL character (refused first as a path)',
      { flags: { home: '/srv/a\u0000b' } },
      'Invalid --home "/srv/a\\u0000b": the directory path contains a NUL character',
    ],
  ])('resolveConfig() refuses a home with %s (exit 2)', (_case, sources, message) => {
    const error = errorOf(sources);
    expect([error.code, error.message]).toEqual(['CONFIG_INVALID', message]);
  });

  test('resolveConfig() refuses a home whose longest bundle path is longer than HAProxy reads as one word', () => {
    const home = `/${'h'.repeat(937)}`;
    const error = errorOf({ flags: { home } });
    expect(error.message).toMatch(/: it is longer than 1024 characters; choose a shorter home$/);
    expect(error.source).toBe('--home');
  });

  test.each<[string, string]>([
    ['a plain path', '/srv/acme'],
    ['the snap default', '/var/snap/haproxy/common/acme'],
    ['every other printable ASCII character', '/srv/a!%&()*+,-.:;<=>?@^_`{|}~'],
    ['937 characters (its longest bundle path has 1024)', `/${'h'.repeat(936)}`],
  ])('resolveConfig() accepts a home of %s', (_case, home) => {
    expect(resolve({ flags: { home } }).home).toBe(home);
  });

  test('resolveConfig() reports a bad home with the other invalid settings, once', () => {
    const error = errorOf({ flags: { home: '/srv/a b', httpPort: 'x', haproxyCrtList: '/etc/my list' } });
    expect(error.message.split('\n')).toEqual([
      'Cannot load configuration: 3 settings are invalid',
      'Invalid --http-port "x": expected a whole number from 1 to 65535',
      homeMessage('--home', '"/srv/a b"', '"/srv/a b/haproxy/<name>.pem"', `it contains a space, ${ONE_WORD}`),
      `Invalid --haproxy-crt-list "/etc/my list": the crt-list path cannot go into HAProxy's configuration: it contains a space, ${ONE_WORD}; ${CRT_LIST_FIX}`,
    ]);
  });
});

describe('resolveConfig() refuses a crt-list path that is not one word of haproxy.cfg', () => {
  const crtListMessage = (label: string, raw: string, problem: string, absolute = ''): string =>
    `Invalid ${label} ${raw}: the crt-list path${absolute} cannot go into HAProxy's configuration: ${problem}, ${ONE_WORD}; ${CRT_LIST_FIX}`;

  test.each<[string, Partial<ConfigSources>, string]>([
    [
      'a space',
      { flags: { haproxyCrtList: '/etc/haproxy/my list.txt' } },
      crtListMessage('--haproxy-crt-list', '"/etc/haproxy/my list.txt"', 'it contains a space'),
    ],
    [
      'a newline',
      { env: { ACME_HAPROXY_CRT_LIST: '/etc/l\nglobal' } },
      crtListMessage('ACME_HAPROXY_CRT_LIST', '"/etc/l\\nglobal"', 'it contains a newline'),
    ],
    [
      'a tab',
      { flags: { haproxyCrtList: '/etc/a\tb' } },
      crtListMessage('--haproxy-crt-list', '"/etc/a\\tb"', 'it contains a tab'),
    ],
    [
      'a carriage return',
      { snap: { 'haproxy-crt-list': '/etc/a\rb' } },
      crtListMessage('snap option haproxy-crt-list', '"/etc/a\\rb"', 'it contains a control character (U+000D)'),
    ],
    [
      '"#"',
      { flags: { haproxyCrtList: '/etc/list#1' } },
      crtListMessage('--haproxy-crt-list', '"/etc/list#1"', 'it contains "#"'),
    ],
    [
      'a double quote',
      { flags: { haproxyCrtList: '/etc/"l"' } },
      crtListMessage('--haproxy-crt-list', '"/etc/\\"l\\""', 'it contains """'),
    ],
    [
      'a single quote',
      { flags: { haproxyCrtList: "/etc/l'" } },
      crtListMessage('--haproxy-crt-list', `"/etc/l'"`, `it contains "'"`),
    ],
    [
      'a backslash',
      { flags: { haproxyCrtList: '/etc/a\\b' } },
      crtListMessage('--haproxy-crt-list', '"/etc/a\\\\b"', 'it contains "\\"'),
    ],
    [
      'a non-ASCII letter',
      { flags: { haproxyCrtList: '/etc/list\u00e9' } },
      crtListMessage('--haproxy-crt-list', '"/etc/list\u00e9"', 'it contains a non-ASCII character (U+00E9)'),
    ],
    [
      'a space only in the working directory',
      { flags: { haproxyCrtList: 'crt-list.txt' }, cwd: '/srv/my work' },
      crtListMessage('--haproxy-crt-list', '"crt-list.txt"', 'it contains a space', ' "/srv/my work/crt-list.txt"'),
    ],
  ])('resolveConfig() refuses a crt-list path with %s (exit 2)', (_case, sources, message) => {
    const error = errorOf(sources);
    expect([error.code, error.message]).toEqual(['CONFIG_INVALID', message]);
  });

  test('resolveConfig() refuses a crt-list path with a NUL character as a path first', () => {
    expect(errorOf({ flags: { haproxyCrtList: '/etc/a\u0000b' } }).message).toBe(
      'Invalid --haproxy-crt-list "/etc/a\\u0000b": the crt-list path contains a NUL character',
    );
  });

  test('resolveConfig() accepts a crt-list path with brackets, which haproxy.cfg reads as one word', () => {
    expect(
      resolveConfig({ flags: { haproxyCrtList: '/etc/haproxy/[a].txt' }, env: {}, snap: {}, cwd: CWD }).haproxy.crtList,
    ).toBe('/etc/haproxy/[a].txt');
  });
});

describe('loadConfig() refuses a crt-list path that is a symbolic link', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-config-link-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A file's text, "directory", or "missing". */
  async function stateOf(path: string): Promise<string> {
    return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) =>
      error.code === 'EISDIR' ? 'directory' : 'missing',
    );
  }

  async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
  }

  test.each<[string, string | undefined]>([
    ['a file', 'real-list.txt'],
    ['a crt directory', 'certs'],
    ['nothing (a dangling link)', undefined],
  ])('loadConfig() refuses a link to %s, naming the target, and leaves both alone', async (_case, name) => {
    const target = join(dir, name ?? 'gone.txt');
    if (name === 'certs') await mkdir(target);
    if (name === 'real-list.txt') await writeFile(target, '/srv/a.pem\n');
    const link = join(dir, 'crt-list.txt');
    await symlink(target, link);
    const before = await stateOf(target);
    const error = await rejectionOf(loadConfig({ flags: { haproxyCrtList: link }, env: {}, cwd: dir }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      `Invalid --haproxy-crt-list "${link}": it is a symbolic link to "${target}", which an update would replace with a regular file; point --haproxy-crt-list at the real file "${target}"`,
    );
    expect((error as ConfigError).source).toBe('--haproxy-crt-list');
    expect(await readlink(link)).toBe(target);
    expect(await stateOf(target)).toBe(before);
  });

  test('loadConfig() names the final target of a chain of links, relative ones included', async () => {
    const target = join(dir, 'real-list.txt');
    await writeFile(target, '');
    await symlink('real-list.txt', join(dir, 'hop'));
    await symlink(join(dir, 'hop'), join(dir, 'crt-list.txt'));
    const error = await rejectionOf(
      loadConfig({ flags: {}, env: { ACME_HAPROXY_CRT_LIST: 'crt-list.txt' }, cwd: dir }),
    );
    expect((error as ConfigError).message).toBe(
      `Invalid ACME_HAPROXY_CRT_LIST "${join(dir, 'crt-list.txt')}": it is a symbolic link to "${target}", which an update would replace with a regular file; point ACME_HAPROXY_CRT_LIST at the real file "${target}"`,
    );
  });

  test('loadConfig() accepts the real file a link points to', async () => {
    const target = join(dir, 'real-list.txt');
    await writeFile(target, '');
    await symlink(target, join(dir, 'crt-list.txt'));
    const config = await loadConfig({ flags: { haproxyCrtList: target }, env: {}, cwd: dir });
    expect(config.haproxy.crtList).toBe(target);
  });
});
