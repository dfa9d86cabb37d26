import type { Writable } from 'node:stream';
import type { PresentedError } from './_errors';

/** Version of every JSON document printed on stdout; bumped only on incompatible changes. */
export const JSON_SCHEMA_VERSION = 1;

/** Writes one JSON document (and a newline) to stdout. */
export function printJson(stdout: Writable, document: Record<string, unknown>): void {
  stdout.write(`${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...document }, null, 2)}\n`);
}

/** Prints a failure: a JSON document on stdout with --json, and always a human message on stderr. */
export function printError(io: { stdout: Writable; stderr: Writable }, error: PresentedError, json: boolean): void {
  if (json) {
    printJson(io.stdout, {
      ok: false,
      error: { code: error.code, message: error.message, hint: error.hint ?? null, retryable: error.retryable },
    });
  }
  io.stderr.write(`Error: ${error.message}\n`);
  if (error.hint !== undefined) io.stderr.write(`Hint: ${error.hint}\n`);
}

/** Renders rows as a left-aligned text table with a header line. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
