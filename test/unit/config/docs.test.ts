import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_KEYS } from '../../../src/config';

const DOC = readFileSync(resolve(__dirname, '../../../docs/configuration.md'), 'utf8');

const names = CONFIG_KEYS.flatMap((key) =>
  [key.flag, key.shortFlag, key.env, key.snap]
    .filter((name): name is string => name !== undefined)
    .map((name): [string, string] => [key.field, name]),
);

describe('docs/configuration.md', () => {
  test.each(names)('docs/configuration.md documents %s as `%s`', (_field, name) => {
    // Match the name as a whole token inside a code span, so `--home` is not satisfied by `--home-dir`.
    expect(DOC).toMatch(new RegExp(`\`${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}[\` ]`));
  });

  test('docs/configuration.md has one table row per CONFIG_KEYS entry', () => {
    const rows = DOC.split('\n').filter((line) => /^\| [a-zA-Z]+ \|/.test(line) && !line.startsWith('| Setting'));
    expect(rows.map((row) => row.split('|')[1]?.trim())).toEqual(CONFIG_KEYS.map((key) => key.field));
  });
});
