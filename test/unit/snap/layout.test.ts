import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, StorageError } from '../../../src/errors';
import { ensureSnapLayout, snapLayout } from '../../../src/snap';

const PATH = 'expected an absolute path of printable ASCII without white space, quotes, "\\", "#", "$" or ","';

describe('snapLayout()', () => {
  test('snapLayout() puts state under $SNAP_COMMON and HAProxy\'s runtime files under $SNAP_DATA', () => {
    expect(snapLayout({ SNAP_DATA: '/var/snap/haproxy-acme/x1', SNAP_COMMON: '/var/snap/haproxy-acme/common' })).toEqual({
      common: '/var/snap/haproxy-acme/common',
      home: '/var/snap/haproxy-acme/common/acme',
      crtList: '/var/snap/haproxy-acme/common/acme/crt-list.txt',
      hooksDir: '/var/snap/haproxy-acme/common/acme/hooks/post-renew.d',
      haproxyDir: '/var/snap/haproxy-acme/x1/haproxy',
      adminSocket: '/var/snap/haproxy-acme/x1/haproxy/admin.sock',
      bundlesDir: '/var/snap/haproxy-acme/common/acme/haproxy',
      httpsSocket: '/var/snap/haproxy-acme/x1/haproxy/https.sock',
      manualCrtList: '/var/snap/haproxy-acme/x1/haproxy/manual-crt-list.txt',
      masterSocket: '/var/snap/haproxy-acme/x1/haproxy/master.sock',
      haproxyConfig: '/var/snap/haproxy-acme/x1/haproxy/haproxy.cfg',
    });
  });

  test.each<[Record<string, string | undefined>, string]>([
    [{ SNAP_COMMON: '/c' }, "Cannot find the snap's directories: $SNAP_DATA is not set; run this inside the snap"],
    [{ SNAP_DATA: '', SNAP_COMMON: '/c' }, "Cannot find the snap's directories: $SNAP_DATA is not set; run this inside the snap"],
    [{ SNAP_DATA: '/d' }, "Cannot find the snap's directories: $SNAP_COMMON is not set; run this inside the snap"],
    [{ SNAP_DATA: 'var/snap/x/1', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "var/snap/x/1": ${PATH}`],
    [{ SNAP_DATA: '/d', SNAP_COMMON: '/c c' }, `Cannot use $SNAP_COMMON "/c c": ${PATH}`],
    [{ SNAP_DATA: '/d\nglobal', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "/d\\nglobal": ${PATH}`],
    [{ SNAP_DATA: '/d#x', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "/d#x": ${PATH}`],
    [{ SNAP_DATA: '/d', SNAP_COMMON: '/c"' }, `Cannot use $SNAP_COMMON "/c\\"": ${PATH}`],
    [{ SNAP_DATA: '/d$HOME', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "/d$HOME": ${PATH}`],
    [{ SNAP_DATA: '/d,mode,666', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "/d,mode,666": ${PATH}`],
    [{ SNAP_DATA: '/d', SNAP_COMMON: '/c\u2028global' }, `Cannot use $SNAP_COMMON "/c\\u2028global": ${PATH}`],
    [{ SNAP_DATA: '/d\u00e9', SNAP_COMMON: '/c' }, `Cannot use $SNAP_DATA "/d\u00e9": ${PATH}`],
  ])('snapLayout(%j) throws ConfigError', (env, message) => {
    expect(() => snapLayout(env)).toThrow(new ConfigError(message));
  });
});

describe('ensureSnapLayout()', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haproxy-acme-layout-'));
    await Promise.all([mkdir(join(root, 'data')), mkdir(join(root, 'common'))]);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

  test('ensureSnapLayout() twice gives the same modes and keeps crt-list lines', async () => {
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    await ensureSnapLayout(layout);
    await writeFile(layout.crtList, '/x.pem\n');
    await ensureSnapLayout(layout);
    const modes = await Promise.all([layout.home, layout.hooksDir, layout.haproxyDir, layout.crtList].map(modeOf));
    expect(modes).toEqual([0o700, 0o700, 0o700, 0o600]);
    expect(await readFile(layout.crtList, 'utf8')).toBe('/x.pem\n');
  });

  test('ensureSnapLayout() throws StorageError naming the directory it cannot create', async () => {
    await writeFile(join(root, 'common', 'acme'), 'a file where the home should be');
    const layout = snapLayout({ SNAP_DATA: join(root, 'data'), SNAP_COMMON: join(root, 'common') });
    const error = await ensureSnapLayout(layout).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(`Cannot create directory "${join(root, 'common', 'acme')}": a file is in the way`);
  });
});
