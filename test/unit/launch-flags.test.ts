/**
 * The V8 settings every run starts with: the shebang of the CLI, the snap's wrapper and the children
 * it spawns of itself carry the same launch flags; the verbs that handle one certificate run
 * without the optimising compilers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCH_FLAGS, runtimeFlagsFor, selfArguments } from '../../src/launchFlags';

const REPO_ROOT = join(__dirname, '..', '..');

/** The node flags of a `#!/usr/bin/env -S node …` line; undefined for any other first line. */
function shebangFlags(source: string): string[] | undefined {
  const match = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=[^\s]+)?)*)\n/.exec(source);
  return match === null ? undefined : match[1]!.split(' ').filter((word) => word !== '');
}

/** The flags between `"$SNAP/bin/node"` and the script on the wrapper's exec line. */
function wrapperFlags(source: string): string[] | undefined {
  const match =
    /^exec "\$SNAP\/bin\/node"((?: --[a-z0-9-]+(?:=[^\s]+)?)*) "\$SNAP\/lib\/node_modules\/haproxy-acme\/dist\/main\.js" "\$@"$/m.exec(
      source,
    );
  return match === null ? undefined : match[1]!.split(' ').filter((word) => word !== '');
}

describe('launch flags', () => {
  test('LAUNCH_FLAGS only tune the heap (no flag that changes what the code does)', () => {
    expect(LAUNCH_FLAGS).toEqual(['--max-semi-space-size=1', '--no-allocation-site-pretenuring']);
  });

  test.each<[string, string]>([
    ['the shebang of src/main.ts', 'src/main.ts'],
    ['the snap wrapper', 'snap/local/acme-wrapper'],
  ])('%s starts node with LAUNCH_FLAGS', (_what, file) => {
    const source = readFileSync(join(REPO_ROOT, file), 'utf8');
    const flags = file.endsWith('.ts') ? shebangFlags(source) : wrapperFlags(source);
    expect(flags).toEqual(LAUNCH_FLAGS);
  });

  test.each<[string, string, string[] | undefined]>([
    ['a shebang with the flag', '#!/usr/bin/env -S node --max-semi-space-size=1\nx', ['--max-semi-space-size=1']],
    ['a plain node shebang', '#!/usr/bin/env node\nx', undefined],
    ['no shebang', 'x', undefined],
    ['a shebang of another program', '#!/usr/bin/env -S python3 --x=1\n', undefined],
  ])('shebangFlags() of %s', (_what, source, flags) => {
    expect(shebangFlags(source)).toEqual(flags);
  });

  test('selfArguments() puts the launch flags before the script and keeps the arguments as given', () => {
    expect(selfArguments('/srv/dist/main.js', ['renew', '--name', 'a b', '--'])).toEqual([
      ...LAUNCH_FLAGS,
      '/srv/dist/main.js',
      'renew',
      '--name',
      'a b',
      '--',
    ]);
  });
});

describe('runtimeFlagsFor()', () => {
  test.each<[string | undefined, string | undefined]>([
    ['issue', '--no-opt --no-maglev'],
    ['revoke', '--no-opt --no-maglev'],
    ['remove', '--no-opt --no-maglev'],
    ['account', '--no-opt --no-maglev'],
    ['haproxy-config', '--no-opt --no-maglev'],
    ['daemon', '--no-opt --no-maglev'],
    ['list', undefined],
    ['renew', undefined],
    ['deploy', undefined],
    ['sync', undefined],
    ['doctor', undefined],
    ['import', undefined],
    ['__snap', undefined],
    [undefined, undefined],
    ['', undefined],
    ['ISSUE', undefined],
    ['issue ', undefined],
    ['--no-opt', undefined],
    ['constructor', undefined],
    ['__proto__', undefined],
  ])('runtimeFlagsFor(%p) is %p', (verb, flags) => {
    expect(runtimeFlagsFor(verb)).toBe(flags);
  });
});
