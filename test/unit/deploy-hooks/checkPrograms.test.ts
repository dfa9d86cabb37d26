import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { checkPrograms } from '../../../src/deploy-hooks';
import { ConfigError } from '../../../src/errors';
import { tempDir } from './_hooks';

let root: string;
let hooksDir: string;

beforeEach(async () => {
  root = await tempDir('check-programs');
  hooksDir = join(root, 'hooks', 'post-renew.d');
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function program(relative: string, mode = 0o755): Promise<string> {
  const path = join(root, relative);
  await fsp.mkdir(join(path, '..'), { recursive: true });
  await fsp.writeFile(path, '#!/bin/sh\nexit 0\n');
  await fsp.chmod(path, mode);
  return path;
}

test('checkPrograms() accepts a missing hook directory and no commands', async () => {
  await expect(checkPrograms({ hooksDir, deployHooks: [] })).resolves.toBeUndefined();
});

test('checkPrograms() accepts safe hooks, a deploy hook and a reload command found on the search path', async () => {
  await program('hooks/post-renew.d/10-copy');
  const hook = await program('bin/notify');
  await program('sbin/reload-haproxy');
  await expect(
    checkPrograms({
      hooksDir,
      deployHooks: [[hook, '--quiet']],
      reloadCommand: ['reload-haproxy', 'now'],
      searchPath: join(root, 'sbin'),
    }),
  ).resolves.toBeUndefined();
});

test.each<[string, () => Promise<Parameters<typeof checkPrograms>[0]>, () => string]>([
  [
    'a hook directory another user owns',
    async () => {
      await fsp.mkdir(hooksDir, { recursive: true });
      await fsp.chown(hooksDir, 65534, 65534);
      return { hooksDir, deployHooks: [] };
    },
    () =>
      `Refusing to start: Cannot run post-renew hooks from "${hooksDir}": "${hooksDir}" is owned by uid 65534, which is neither root nor the current user (uid 0); fix with "chown root ${hooksDir}"`,
  ],
  [
    'a sticky world-writable hook directory',
    async () => {
      await fsp.mkdir(hooksDir, { recursive: true });
      await fsp.chmod(hooksDir, 0o1777);
      return { hooksDir, deployHooks: [] };
    },
    () =>
      `Refusing to start: Cannot run post-renew hooks from "${hooksDir}": "${hooksDir}" is group/world-writable (mode 1777); fix with "chmod go-w ${hooksDir}"`,
  ],
  [
    'a group-writable hook in a safe directory',
    async () => {
      await program('hooks/post-renew.d/10-copy', 0o775);
      return { hooksDir, deployHooks: [] };
    },
    () =>
      `Refusing to start: Cannot run post-renew hook "${hooksDir}/10-copy": it is group/world-writable (mode 0775); fix with "chmod go-w ${hooksDir}/10-copy"`,
  ],
  [
    'a deploy hook in a directory another user owns',
    async () => {
      const hook = await program('theirs/notify');
      await fsp.chown(join(root, 'theirs'), 65534, 65534);
      return { hooksDir, deployHooks: [[hook]] };
    },
    () =>
      `Refusing to start: Cannot run deploy hook "${root}/theirs/notify": its directory "${root}/theirs" is owned by uid 65534, which is neither root nor the current user (uid 0); fix with "chown root ${root}/theirs"`,
  ],
  [
    'a reload command not on the search path',
    async () => ({ hooksDir, deployHooks: [], reloadCommand: ['no-such-reload'], searchPath: '/nonexistent' }),
    () =>
      'Refusing to start: Cannot run reload command "no-such-reload": it is not an absolute path, and no executable of that name is on PATH',
  ],
])('checkPrograms() refuses %s with a ConfigError that says what to fix', async (_name, setup, message) => {
  const check = checkPrograms(await setup());
  await expect(check).rejects.toThrow(ConfigError);
  await expect(check).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: message() });
});
