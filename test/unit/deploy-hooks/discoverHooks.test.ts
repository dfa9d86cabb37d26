import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { discoverHooks } from '../../../src/deploy-hooks';
import { HookError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import { tempDir } from './_hooks';

let root: string;

async function file(name: string, mode: number): Promise<void> {
  await fsp.writeFile(join(root, name), '#!/bin/sh\n');
  await fsp.chmod(join(root, name), mode);
}

beforeEach(async () => {
  root = await tempDir('discover-hooks');
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

test('discoverHooks() lists executables in byte order of their names, like run-parts', async () => {
  for (const name of ['10-reload', '9-notify', '02-copy', 'Zeta', 'alpha', 'b_c']) await file(name, 0o755);
  const hooks = await discoverHooks(root);
  expect(hooks.map((hook) => hook.label)).toEqual(['02-copy', '10-reload', '9-notify', 'Zeta', 'alpha', 'b_c']);
  expect(hooks[0]).toEqual({ label: '02-copy', argv: [join(root, '02-copy')] });
});

test('discoverHooks() skips dot-files, *.disabled, directories and dangling links', async () => {
  await file('.hidden', 0o755);
  await file('.10-temp.swp', 0o755);
  await file('20-old.disabled', 0o755);
  await fsp.mkdir(join(root, '30-dir'));
  await fsp.symlink(join(root, 'nowhere'), join(root, '40-dangling'));
  await file('50-kept', 0o755);
  expect(await discoverHooks(root)).toEqual([{ label: '50-kept', argv: [join(root, '50-kept')] }]);
});

test('discoverHooks() follows a link to an executable file', async () => {
  await file('.real', 0o755);
  await fsp.symlink(join(root, '.real'), join(root, '10-link'));
  expect(await discoverHooks(root)).toEqual([{ label: '10-link', argv: [join(root, '10-link')] }]);
});

test('discoverHooks() skips a file that is not executable and warns about it', async () => {
  await file('10-off', 0o644);
  await file('20-on', 0o700);
  const logger = new CapturingLogger();
  expect(await discoverHooks(root, { logger })).toEqual([{ label: '20-on', argv: [join(root, '20-on')] }]);
  expect(logger.records).toEqual([
    {
      level: 'warn',
      message: `Skipping deploy hook "${join(root, '10-off')}": it is not executable; run "chmod +x" on it to enable it`,
      fields: { hook: '10-off' },
    },
  ]);
});

test('discoverHooks() returns no hooks for a missing directory', async () => {
  expect(await discoverHooks(join(root, 'hooks', 'post-renew.d'))).toEqual([]);
});

test('discoverHooks() resolves a relative directory to an absolute argv[0]', async () => {
  await file('10-a', 0o755);
  const relative = join(
    '..',
    ...root
      .split('/')
      .filter(Boolean)
      .map(() => '..'),
    root,
  );
  expect(await discoverHooks(relative)).toEqual([{ label: '10-a', argv: [join(root, '10-a')] }]);
});

test('discoverHooks() refuses a path that is a file', async () => {
  await file('not-a-dir', 0o644);
  const path = join(root, 'not-a-dir');
  const listing = discoverHooks(path);
  await expect(listing).rejects.toThrow(HookError);
  await expect(listing).rejects.toThrow(
    `Cannot list deploy hooks in "${path}": ENOTDIR: not a directory, scandir '${path}'`,
  );
});
