import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CONFIG_DOCS_END,
  CONFIG_DOCS_START,
  CONFIG_KEYS,
  renderConfigTable,
  withConfigTable,
  type ConfigKeyInfo,
} from '../../../src/config';
import { ConfigError } from '../../../src/errors';

const DOC = readFileSync(resolve(__dirname, '../../../docs/configuration.md'), 'utf8');

const names = CONFIG_KEYS.flatMap((key) =>
  [key.flag, key.shortFlag, key.env, key.snap]
    .filter((name): name is string => name !== undefined)
    .map((name): [string, string] => [key.field, name]),
);

describe('docs/configuration.md', () => {
  test('docs/configuration.md holds the settings table CONFIG_KEYS generates (run "npx tsx scripts/config-docs.ts")', () => {
    expect(withConfigTable(DOC)).toBe(DOC);
  });

  test.each(names)('docs/configuration.md documents %s as `%s`', (_field, name) => {
    // Match the name as a whole token inside a code span, so `--home` is not satisfied by `--home-dir`.
    expect(DOC).toMatch(new RegExp(`\`${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}[\` ]`));
  });

  test('docs/configuration.md has one table row per CONFIG_KEYS entry, in table order', () => {
    const rows = DOC.split('\n').filter(
      (line) => /^\| [a-zA-Z][a-zA-Z0-9]* \|/.test(line) && !line.startsWith('| Setting'),
    );
    expect(rows.map((row) => row.split('|')[1]?.trim())).toEqual(CONFIG_KEYS.map((key) => key.field));
  });
});

describe('renderConfigTable()', () => {
  const key = (overrides: Partial<ConfigKeyInfo>): ConfigKeyInfo => ({
    ...(CONFIG_KEYS[0] as ConfigKeyInfo),
    ...overrides,
  });

  test('renderConfigTable() writes a row with every name, the default and the help with its note', () => {
    const table = renderConfigTable([
      key({
        field: 'preflight',
        flag: '--preflight',
        shortFlag: '-p',
        valueName: 'URL|off',
        env: 'ACME_PREFLIGHT',
        snap: undefined,
        defaultText: '`off`',
        help: 'fetch `x` first',
        docsNote: 'see [P](#p)',
      }),
    ]);
    expect(table.split('\n')).toEqual([
      '| Setting | Flag | Environment | Snap option | Default | Meaning |',
      '|---|---|---|---|---|---|',
      '| preflight | `-p`, `--preflight URL\\|off` | `ACME_PREFLIGHT` | — | `off` | Fetch `x` first; see [P](#p) |',
    ]);
  });
});

describe('withConfigTable()', () => {
  test('withConfigTable() replaces only the text between the markers', () => {
    const document = `# Title\n\n${CONFIG_DOCS_START}\nold table\n${CONFIG_DOCS_END}\n\nAfter.\n`;
    expect(withConfigTable(document, [])).toBe(
      `# Title\n\n${CONFIG_DOCS_START}\n${renderConfigTable([])}\n${CONFIG_DOCS_END}\n\nAfter.\n`,
    );
  });

  test.each<[string, string]>([
    ['no markers', 'text only\n'],
    ['only the start marker', `${CONFIG_DOCS_START}\n`],
    ['the markers in the wrong order', `${CONFIG_DOCS_END}\n${CONFIG_DOCS_START}\n`],
    ['a repeated start marker', `${CONFIG_DOCS_START}\n${CONFIG_DOCS_START}\n${CONFIG_DOCS_END}\n`],
  ])('withConfigTable() refuses a document with %s', (_label, document) => {
    expect(() => withConfigTable(document)).toThrow(ConfigError);
    expect(() => withConfigTable(document)).toThrow(/^Cannot write the settings table: expected the lines/);
  });
});
