import type { Writable } from 'node:stream';
import type { PresentedError } from './_errors';

/** Version of every JSON document printed on stdout; bumped only on incompatible changes. */
export const JSON_SCHEMA_VERSION = 1;

/**
 * Characters gathered before one write to stdout. A document of 10,000 certificates is 8 MB of
 * text: written as one string it is held three times over (the string, its flattened copy and the
 * Buffer stdout makes of it). Small chunks leave stdout before the next minor GC, so their text is
 * not promoted to the old generation (with 64 KiB chunks `acme list --json` promoted 8 MB more).
 */
const JSON_CHUNK_CHARS = 8 * 1024;

/**
 * Writes one JSON document (and a newline) to stdout: the text of `JSON.stringify(document, null, 2)`
 * with `schemaVersion` first, in writes of about JSON_CHUNK_CHARS, each element of a top-level
 * array serialised on its own. Does not wait for stdout: use writeJson() for documents that may be
 * large when stdout may be a pipe.
 */
export function printJson(stdout: Writable, document: Record<string, unknown>): void {
  const chunks = new JsonChunks(stdout);
  for (const piece of documentPieces({ schemaVersion: JSON_SCHEMA_VERSION, ...document })) chunks.add(piece);
  chunks.flush();
}

/**
 * Writes the same text as printJson(), waiting for 'drain' whenever stdout holds a chunk it could
 * not pass on yet (a pipe to a slow reader), so that what waits for stdout stays bounded by one
 * chunk. Stops early, without an error, when stdout is destroyed (the reader went away, as
 * `acme list --json | head` does).
 */
export async function writeJson(stdout: Writable, document: Record<string, unknown>): Promise<void> {
  const chunks = new JsonChunks(stdout);
  for (const piece of documentPieces({ schemaVersion: JSON_SCHEMA_VERSION, ...document })) {
    if (chunks.add(piece) && !(await drained(stdout))) return;
  }
  if (chunks.flush()) await drained(stdout);
}

/** Indentation of one level, as `JSON.stringify(value, null, 2)` writes it. */
const INDENT = '  ';

/**
 * The text of a top-level object as `JSON.stringify(document, null, 2)` writes it, in pieces: one
 * per member, and one per element of a member that is an array.
 */
function* documentPieces(document: Record<string, unknown>): Generator<string> {
  let members = 0;
  for (const key of Object.keys(document)) {
    const value = toJsonValue(document[key], key);
    const head = `${members === 0 ? '{' : ','}\n${INDENT}${JSON.stringify(key)}: `;
    if (Array.isArray(value)) {
      members += 1;
      yield `${head}[`;
      for (let index = 0; index < value.length; index += 1) yield elementText(value[index], index);
      yield value.length === 0 ? ']' : `\n${INDENT}]`;
    } else {
      const text = JSON.stringify(value, null, 2);
      // JSON.stringify leaves out members whose value is undefined, a function or a symbol.
      if (text === undefined) continue;
      members += 1;
      yield `${head}${text.replaceAll('\n', `\n${INDENT}`)}`;
    }
  }
  yield members === 0 ? '{}\n' : '\n}\n';
}

/** One element of a top-level array, with the comma and line break before it (JSON.stringify writes null for what it cannot). */
function elementText(element: unknown, index: number): string {
  const text = JSON.stringify(toJsonValue(element, String(index)), null, 2) ?? 'null';
  // Strings are escaped, so every line break in `text` is indentation JSON.stringify wrote.
  return `${index === 0 ? '' : ','}\n${INDENT}${INDENT}${text.replaceAll('\n', `\n${INDENT}${INDENT}`)}`;
}

/** `value.toJSON(key)` when it has one (a Date), as JSON.stringify calls it; `value` otherwise. */
function toJsonValue(value: unknown, key: string): unknown {
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJSON === 'function' ? (toJSON as (key: string) => unknown).call(value, key) : value;
}

/** Gathers text and writes it to stdout about JSON_CHUNK_CHARS at a time. */
class JsonChunks {
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly stdout: Writable) {}

  /** Adds text; true when this wrote a chunk that stdout could not pass on yet (wait for 'drain'). */
  add(text: string): boolean {
    this.pending.push(text);
    this.size += text.length;
    return this.size >= JSON_CHUNK_CHARS ? this.flush() : false;
  }

  /** Writes what is gathered; true when stdout could not pass it on yet (wait for 'drain'). */
  flush(): boolean {
    if (this.size === 0) return false;
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    return !this.stdout.write(text);
  }
}

/**
 * Resolves true on 'drain', false once stdout is closed (nothing more can be written; a failed
 * stream closes after its 'error', which stays its owner's to handle).
 */
function drained(stdout: Writable): Promise<boolean> {
  if (stdout.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (open: boolean) => () => {
      stdout.off('drain', onDrain);
      stdout.off('close', onClose);
      resolve(open);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    stdout.on('drain', onDrain);
    stdout.on('close', onClose);
  });
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
