/**
 * Writes the settings table of docs/configuration.md from CONFIG_KEYS (src/config/_keys.ts), between
 * its two marker lines; the rest of the file is left as it is.
 *
 *   npx tsx scripts/config-docs.ts           rewrite the table
 *   npx tsx scripts/config-docs.ts --check   exit 1 when the committed table is out of date
 *
 * test/unit/config/docs.test.ts runs the same comparison, so the docs cannot drift from the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withConfigTable } from '../src/config';

/** The document the table lives in. */
export const CONFIGURATION_DOC = resolve(__dirname, '..', 'docs', 'configuration.md');

function main(argv: readonly string[]): number {
  const current = readFileSync(CONFIGURATION_DOC, 'utf8');
  const wanted = withConfigTable(current);
  if (argv.includes('--check')) {
    if (wanted === current) return 0;
    process.stderr.write(`${CONFIGURATION_DOC} is out of date: run "npx tsx scripts/config-docs.ts"\n`);
    return 1;
  }
  if (wanted !== current) writeFileSync(CONFIGURATION_DOC, wanted);
  process.stdout.write(
    `${wanted === current ? 'Up to date' : 'Rewrote the settings table of'}: ${CONFIGURATION_DOC}\n`,
  );
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
