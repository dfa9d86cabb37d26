import { ConfigError } from '../errors';
import type { ConfigKeyInfo } from './_keyInfo';
import { CONFIG_KEYS } from './_keys';

/** The line before the generated settings table in docs/configuration.md. */
export const CONFIG_DOCS_START =
  '<!-- settings table: generated from CONFIG_KEYS by `npx tsx scripts/config-docs.ts` -->';
/** The line after it. */
export const CONFIG_DOCS_END = '<!-- end of settings table -->';

/** A table cell: `|` would end the cell early, so it is escaped (also inside back-ticks, as GFM wants). */
const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string | undefined): string => (text === undefined ? '—' : `\`${text}\``);

function flagCell(key: ConfigKeyInfo): string {
  if (key.flag === undefined) return '—';
  const long = key.valueName === undefined ? key.flag : `${key.flag} ${key.valueName}`;
  return [key.shortFlag, long]
    .filter((flag) => flag !== undefined)
    .map(code)
    .join(', ');
}

function meaningOf(key: ConfigKeyInfo): string {
  const help = key.help.charAt(0).toUpperCase() + key.help.slice(1);
  return key.docsNote === undefined ? help : `${help}; ${key.docsNote}`;
}

/** The Markdown settings table, one row per CONFIG_KEYS entry in table order (pure). */
export function renderConfigTable(keys: readonly ConfigKeyInfo[] = CONFIG_KEYS): string {
  const header = ['| Setting | Flag | Environment | Snap option | Default | Meaning |', '|---|---|---|---|---|---|'];
  const rows = keys.map((key) =>
    [key.field, flagCell(key), code(key.env), code(key.snap), key.defaultText, meaningOf(key)].map(cell).join(' | '),
  );
  return [...header, ...rows.map((line) => `| ${line} |`)].join('\n');
}

/**
 * Returns `document` with the text between CONFIG_DOCS_START and CONFIG_DOCS_END replaced by
 * renderConfigTable() (pure); the rest of the document is kept byte for byte.
 * @throws ConfigError when either marker line is missing, repeated or out of order.
 */
export function withConfigTable(document: string, keys: readonly ConfigKeyInfo[] = CONFIG_KEYS): string {
  const start = document.indexOf(CONFIG_DOCS_START);
  const end = document.indexOf(CONFIG_DOCS_END);
  const once = (marker: string, at: number): boolean => at !== -1 && document.indexOf(marker, at + 1) === -1;
  if (!once(CONFIG_DOCS_START, start) || !once(CONFIG_DOCS_END, end) || end < start) {
    throw new ConfigError(
      `Cannot write the settings table: expected the lines ${JSON.stringify(CONFIG_DOCS_START)} and ${JSON.stringify(CONFIG_DOCS_END)} once each, in that order; put them back around the table`,
    );
  }
  const before = document.slice(0, start + CONFIG_DOCS_START.length);
  return `${before}\n${renderConfigTable(keys)}\n${document.slice(end)}`;
}
