import { CertificateError } from '../errors';

/** One PEM block (RFC 7468) in canonical form. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`, `PRIVATE KEY`. */
  type: string;
  /** `-----BEGIN <type>-----`, base64 wrapped at 64 columns, `-----END <type>-----`, each line ending in LF. */
  pem: string;
}

// RFC 7468 §2: a label is printable ASCII without "-"; we accept the upper-case subset in use.
const BEGIN_LINE = /^-----BEGIN ([A-Z0-9][A-Z0-9 ]{0,63})-----$/;
const END_LINE = /^-----END ([A-Z0-9][A-Z0-9 ]{0,63})-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const PEM_WIDTH = 64;

interface OpenBlock {
  type: string;
  line: number;
  body: string[];
}

/**
 * Splits text into its PEM blocks and returns them in canonical form (LF, 64 columns).
 * Text outside BEGIN/END lines (OpenSSL "Bag Attributes", comments, blank lines) is ignored;
 * blank lines and surrounding spaces inside a block are dropped. Sample input:
 * ```
 * Bag Attributes
 *     localKeyID: 01 00 00 00
 * -----BEGIN CERTIFICATE-----
 * MIICGjCCAcCgAwIBAgINAIdlQyH+3LqYdlQyEDAKBggqhkjOPQQDAjA7MRowGAYD
 * -----END CERTIFICATE-----
 * ```
 * @throws CertificateError for an END without BEGIN, a BEGIN inside a block, mismatched END,
 * a missing END, text that is not base64 inside a block, or an empty block.
 */
export function splitPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: OpenBlock | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] ?? '').trim();
    const lineNumber = index + 1;
    const begin = BEGIN_LINE.exec(line);
    const end = END_LINE.exec(line);
    if (open === undefined) {
      open = openBlock(begin, end, lineNumber);
      continue;
    }
    if (begin) throw unterminated(open, `line ${lineNumber}`);
    if (end) {
      blocks.push(closeBlock(open, end[1] ?? '', lineNumber));
      open = undefined;
    } else {
      appendBodyLine(open, line, lineNumber);
    }
  }
  if (open !== undefined) throw unterminated(open, 'the end of the text');
  return blocks;
}

/** Outside a block: a BEGIN line opens one, an END line is an error, any other line is skipped. */
function openBlock(
  begin: RegExpExecArray | null,
  end: RegExpExecArray | null,
  lineNumber: number,
): OpenBlock | undefined {
  if (begin) return { type: begin[1] ?? '', line: lineNumber, body: [] };
  if (end)
    throw new CertificateError(`Cannot read PEM: "-----END ${end[1]}-----" on line ${lineNumber} has no BEGIN line`);
  return undefined;
}

function appendBodyLine(open: OpenBlock, line: string, lineNumber: number): void {
  if (line === '') return;
  if (!BASE64_LINE.test(line)) {
    throw new CertificateError(
      `Cannot read PEM block "${open.type}" that begins on line ${open.line}: line ${lineNumber} is not base64 (encrypted or corrupted block)`,
    );
  }
  open.body.push(line);
}

function unterminated(open: OpenBlock, before: string): CertificateError {
  return new CertificateError(
    `Cannot read PEM block "${open.type}" that begins on line ${open.line}: no "-----END ${open.type}-----" line before ${before}`,
  );
}

function closeBlock(open: OpenBlock, endType: string, lineNumber: number): PemBlock {
  if (endType !== open.type) {
    throw new CertificateError(
      `Cannot read PEM block "${open.type}" that begins on line ${open.line}: line ${lineNumber} ends it with "-----END ${endType}-----"`,
    );
  }
  const body = open.body.join('');
  // Padding may only end the whole body, and base64 comes in groups of 4 characters.
  if (body.length === 0 || body.length % 4 !== 0 || /=[^=]/.test(body)) {
    throw new CertificateError(
      `Cannot read PEM block "${open.type}" that begins on line ${open.line}: its base64 body is ${body.length === 0 ? 'empty' : 'truncated or malformed'}`,
    );
  }
  const wrapped: string[] = [];
  for (let at = 0; at < body.length; at += PEM_WIDTH) wrapped.push(body.slice(at, at + PEM_WIDTH));
  return { type: open.type, pem: `-----BEGIN ${open.type}-----\n${wrapped.join('\n')}\n-----END ${open.type}-----\n` };
}
