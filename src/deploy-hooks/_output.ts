import { StringDecoder } from 'node:string_decoder';

/** Longest line logged from a hook; the rest of the line is cut. */
export const MAX_HOOK_LINE_CHARS = 1000;

/** Output logged per hook (stdout and stderr together); the rest is read and dropped. */
export const MAX_HOOK_OUTPUT_BYTES = 64 * 1024;

/** What is left of one hook's output allowance; shared by its stdout and stderr. */
export interface OutputBudget {
  remainingBytes: number;
  truncated: boolean;
}

/** A new allowance of `bytes` (default MAX_HOOK_OUTPUT_BYTES). */
export function outputBudget(bytes = MAX_HOOK_OUTPUT_BYTES): OutputBudget {
  return { remainingBytes: bytes, truncated: false };
}

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Turns one stream of a hook's output into log lines: UTF-8 decoded across chunks, `\r\n` and
 * blank lines dropped, each line capped at MAX_HOOK_LINE_CHARS, the whole capped by the budget
 * (then one `[output truncated]` line). A PEM private key is replaced by one
 * `[redacted PRIVATE KEY]` line: the logger redacts PEM blocks, but it sees one line at a time,
 * so the base64 lines between BEGIN and END would get through.
 */
export class OutputLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private inKey = false;
  private ended = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly budget: OutputBudget,
  ) {}

  /** Takes the next chunk of the stream. */
  write(chunk: Buffer): void {
    if (this.ended || this.budget.truncated) return;
    if (chunk.length <= this.budget.remainingBytes) {
      this.budget.remainingBytes -= chunk.length;
      this.take(this.decoder.write(chunk));
      return;
    }
    const part = chunk.subarray(0, this.budget.remainingBytes);
    this.budget.remainingBytes = 0;
    this.budget.truncated = true;
    this.take(this.decoder.write(part));
    this.end();
    this.emit('[output truncated]');
  }

  /** Flushes the last, unterminated line. Safe to call twice. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.take(this.decoder.end());
    this.line(this.partial);
    this.partial = '';
  }

  private take(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (this.inKey) {
      if (KEY_END.test(line)) this.inKey = false;
      return;
    }
    if (KEY_BEGIN.test(line)) {
      this.inKey = !KEY_END.test(line);
      this.emit('[redacted PRIVATE KEY]');
      return;
    }
    if (line.trim() === '') return;
    this.emit(line.length > MAX_HOOK_LINE_CHARS ? `${line.slice(0, MAX_HOOK_LINE_CHARS)} [line truncated]` : line);
  }
}
