import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { checkHook, openCheckedProgram } from '../../../src/deploy-hooks';
import { HookError } from '../../../src/errors';
import { tempDir } from './_hooks';

const SCRIPT = '#!/bin/sh\nexit 0\n';
let root: string;

/** Writes an executable script at `root/relative` with `mode` (chmod, so the umask does not apply). */
async function script(relative: string, mode = 0o755): Promise<string> {
  const path = join(root, relative);
  await fsp.writeFile(path, SCRIPT);
  await fsp.chmod(path, mode);
  return path;
}

beforeEach(async () => {
  root = await tempDir('check-hook');
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

// Another, non-root owner: as root we can chown a file to nobody; as a user we pretend to be someone else.
const ME = process.getuid!();
const OTHER =
  ME === 0 ? { fileUid: 65534, runAs: 0, fix: 'root' } : { fileUid: ME, runAs: ME + 1, fix: String(ME + 1) };

test('checkHook() accepts a 0755 script in a 0700 directory', async () => {
  const path = await script('reload');
  await expect(checkHook(path)).resolves.toMatchObject({ path, realPath: path });
});

test.each<[string, number]>([
  ['0700', 0o700],
  ['0500 (read-only)', 0o500],
  ['0750', 0o750],
])('checkHook() accepts mode %s', async (_name, mode) => {
  const path = await script('reload', mode);
  await expect(checkHook(path)).resolves.toMatchObject({ path, realPath: path });
});

test('checkHook() accepts a hook owned by the user it runs as', async () => {
  const path = await script('reload');
  await fsp.chown(path, OTHER.fileUid, process.getgid!());
  await expect(checkHook(path, { uid: OTHER.fileUid })).resolves.toMatchObject({ realPath: path });
});

test('checkHook() accepts a link to a safe script and checks the target', async () => {
  const target = await script('real');
  await fsp.symlink(target, join(root, 'link'));
  await expect(checkHook(join(root, 'link'))).resolves.toMatchObject({ path: join(root, 'link'), realPath: target });
});

test.each<[string, (dir: string) => Promise<string>, (path: string, dir: string) => string]>([
  ['a relative path', async () => 'hooks/reload', (p) => `Cannot run deploy hook "${p}": the path is not absolute`],
  ['a missing file', async (dir) => join(dir, 'missing'), (p) => `Cannot run deploy hook "${p}": it does not exist`],
  [
    'a dangling link',
    async (dir) => {
      await fsp.symlink(join(dir, 'gone'), join(dir, 'dangling'));
      return join(dir, 'dangling');
    },
    (p) => `Cannot run deploy hook "${p}": it does not exist`,
  ],
  [
    'a directory',
    async (dir) => {
      await fsp.mkdir(join(dir, 'sub'));
      return join(dir, 'sub');
    },
    (p) => `Cannot run deploy hook "${p}": it is not a regular file`,
  ],
  [
    'a file that is not executable',
    () => script('reload', 0o644),
    (p) => `Cannot run deploy hook "${p}": it is not executable (mode 0644); fix with "chmod +x ${p}"`,
  ],
  [
    'a group-writable file',
    () => script('reload', 0o775),
    (p) => `Cannot run deploy hook "${p}": it is group/world-writable (mode 0775); fix with "chmod go-w ${p}"`,
  ],
  [
    'a world-writable file',
    () => script('reload', 0o757),
    (p) => `Cannot run deploy hook "${p}": it is group/world-writable (mode 0757); fix with "chmod go-w ${p}"`,
  ],
  [
    'a setuid group-writable file',
    () => script('reload', 0o4775),
    (p) => `Cannot run deploy hook "${p}": it is group/world-writable (mode 4775); fix with "chmod go-w ${p}"`,
  ],
  [
    'a file in a group/world-writable directory',
    async (dir) => {
      await fsp.chmod(dir, 0o777);
      return script('reload');
    },
    (_p, dir) =>
      `Cannot run deploy hook "${join(dir, 'reload')}": its directory "${dir}" is group/world-writable (mode 0777); fix with "chmod go-w ${dir}"`,
  ],
  [
    'a file in a sticky world-writable directory like /tmp',
    async (dir) => {
      await fsp.mkdir(join(dir, 'tmp'));
      await fsp.chmod(join(dir, 'tmp'), 0o1777);
      return script('tmp/reload');
    },
    (p, dir) =>
      `Cannot run deploy hook "${p}": its directory "${dir}/tmp" is group/world-writable (mode 1777); fix with "chmod go-w ${dir}/tmp"`,
  ],
  [
    'a link whose target sits in a world-writable directory',
    async (dir) => {
      await fsp.mkdir(join(dir, 'open'));
      const target = await script('open/real');
      await fsp.chmod(join(dir, 'open'), 0o777);
      await fsp.symlink(target, join(dir, 'link'));
      return join(dir, 'link');
    },
    (p, dir) =>
      `Cannot run deploy hook "${p}": its directory "${dir}/open" is group/world-writable (mode 0777); fix with "chmod go-w ${dir}/open"`,
  ],
  [
    'a path with a space and a quote, quoted for the shell in the fix',
    () => script("it's here", 0o775),
    (p) =>
      `Cannot run deploy hook "${p}": it is group/world-writable (mode 0775); fix with "chmod go-w '${p.replace("'", `'\\''`)}'"`,
  ],
])('checkHook() refuses %s', async (_name, setup, message) => {
  const path = await setup(root);
  const check = checkHook(path);
  await expect(check).rejects.toThrow(HookError);
  await expect(check).rejects.toThrow(
    expect.objectContaining({ code: 'HOOK_FAILED', message: message(path, root), exitCode: null }),
  );
});

test('checkHook() refuses a hook owned by another non-root user', async () => {
  const path = await script('reload');
  await fsp.chown(path, OTHER.fileUid, process.getgid!());
  await expect(checkHook(path, { uid: OTHER.runAs })).rejects.toThrow(
    new HookError(
      `Cannot run deploy hook "${path}": it is owned by uid ${OTHER.fileUid}, which is neither root nor the current user (uid ${OTHER.runAs}); fix with "chown ${OTHER.fix} ${path}"`,
    ),
  );
});

describe('checkHook() walks every step of the path from /', () => {
  test.each<[string, (dir: string) => Promise<string>, (path: string, dir: string) => string]>([
    [
      'a directory half-way down owned by another user (it could rename the rest away)',
      async (dir) => {
        await fsp.mkdir(join(dir, 'theirs/ours'), { recursive: true });
        const path = await script('theirs/ours/reload');
        await fsp.chown(join(dir, 'theirs'), 65534, 65534);
        return path;
      },
      (p, dir) =>
        `Cannot run deploy hook "${p}": its directory "${dir}/theirs" is owned by uid 65534, which is neither root nor the current user (uid 0); fix with "chown root ${dir}/theirs"`,
    ],
    [
      'a link that sits in a world-writable directory, though its target is safe',
      async (dir) => {
        await fsp.mkdir(join(dir, 'safe'));
        await script('safe/reload');
        await fsp.mkdir(join(dir, 'open'));
        await fsp.symlink(join(dir, 'safe'), join(dir, 'open/link'));
        await fsp.chmod(join(dir, 'open'), 0o1777);
        await fsp.chmod(join(dir, 'open'), 0o777);
        return join(dir, 'open/link/reload');
      },
      (p, dir) =>
        `Cannot run deploy hook "${p}": its directory "${dir}/open" is group/world-writable (mode 0777); fix with "chmod go-w ${dir}/open"`,
    ],
    [
      'a link owned by another user',
      async (dir) => {
        const target = await script('real');
        await fsp.symlink(target, join(dir, 'link'));
        await fsp.lchown(join(dir, 'link'), 65534, 65534);
        return join(dir, 'link');
      },
      (p, dir) =>
        `Cannot run deploy hook "${p}": "${dir}/link" on its path is owned by uid 65534, which is neither root nor the current user (uid 0); fix with "chown root ${dir}/link"`,
    ],
    [
      'a loop of links',
      async (dir) => {
        await fsp.symlink(join(dir, 'b'), join(dir, 'a'));
        await fsp.symlink(join(dir, 'a'), join(dir, 'b'));
        return join(dir, 'a');
      },
      (p) => `Cannot run deploy hook "${p}": "${p}" has more than 40 levels of symbolic links`,
    ],
  ])('checkHook() refuses %s', async (_name, setup, message) => {
    const path = await setup(root);
    const check = checkHook(path);
    await expect(check).rejects.toThrow(HookError);
    await expect(check).rejects.toMatchObject({ code: 'HOOK_FAILED', message: message(path, root) });
  });

  test('checkHook() accepts a sticky world-writable directory above the hook directory, as /tmp is', async () => {
    await fsp.mkdir(join(root, 'tmp/mine'), { recursive: true });
    const path = await script('tmp/mine/reload');
    await fsp.chmod(join(root, 'tmp'), 0o1777);
    await expect(checkHook(path)).resolves.toMatchObject({ realPath: path });
  });

  test('checkHook() follows a relative link through .. and reports the real path', async () => {
    await fsp.mkdir(join(root, 'bin'));
    await fsp.mkdir(join(root, 'hooks'));
    const target = await script('bin/reload');
    await fsp.symlink('../bin/reload', join(root, 'hooks/reload'));
    await expect(checkHook(join(root, 'hooks/reload'))).resolves.toMatchObject({ realPath: target });
  });

  test('checkHook() finds a bare name on searchPath', async () => {
    const path = await script('reload');
    await expect(checkHook('reload', { searchPath: `relative:${root}` })).resolves.toMatchObject({ realPath: path });
  });
});

describe('openCheckedProgram()', () => {
  test('openCheckedProgram() opens the file that was checked', async () => {
    const checked = await checkHook(await script('reload'));
    const handle = await openCheckedProgram(checked);
    try {
      expect((await handle.stat()).ino).toBe(checked.stats.ino);
    } finally {
      await handle.close();
    }
  });

  test.each<[string, (path: string) => Promise<void>]>([
    [
      'replaced by another file',
      async (path) => {
        await fsp.writeFile(`${path}.new`, '#!/bin/sh\necho other\n', { mode: 0o755 });
        await fsp.rename(`${path}.new`, path);
      },
    ],
    [
      'replaced by a link',
      async (path) => {
        await fsp.rename(path, `${path}.old`);
        await fsp.symlink(`${path}.old`, path);
      },
    ],
    ['made group-writable', (path) => fsp.chmod(path, 0o775)],
  ])('openCheckedProgram() refuses a program %s after its check, and runs nothing', async (_name, change) => {
    const path = await script('reload');
    const checked = await checkHook(path);
    await change(path);
    await expect(openCheckedProgram(checked)).rejects.toThrow(HookError);
  });
});
