/**
 * Raw-socket client and response checker for the attack tests (integration and property): sends
 * exact bytes, parses every HTTP/1.x response the responder sent back, and lists every response
 * that is neither a current key authorization nor one of the responder's fixed answers.
 */
import { connect } from 'node:net';
import type { ListenAddress } from '../../../src/challenge';

/** Bodies the responder and node:http send on their own; anything else must be a key authorization. */
export const FIXED_BODIES: ReadonlySet<string> = new Set([
  '',
  'not found\n',
  'method not allowed\n',
  'internal error\n',
]);

/** One HTTP response as received. */
export interface ParsedResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Map<string, string>;
  body: string;
}

/** Everything read from one connection. */
export interface RawReply {
  /** The bytes as latin1 (lossless). */
  text: string;
  /** Whether the server closed (or reset) the connection before the client gave up. */
  closedByServer: boolean;
}

/** Options of sendRaw(). */
export interface SendRawOptions {
  /** Give up (and close) after this long. Default: 3000 ms. */
  waitMs?: number;
  /** Stop early once this holds for what was received so far. Default: never. */
  until?: (text: string) => boolean;
}

/** Sends `payload` on a fresh connection and reads until the server closes, `until` holds, or `waitMs`. */
export function sendRaw(
  address: ListenAddress,
  payload: string | Buffer,
  options: SendRawOptions = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket =
      address.kind === 'unix' ? connect({ path: address.path }) : connect({ host: address.host, port: address.port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 3000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.until?.(Buffer.concat(chunks).toString('latin1')) === true) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset or a write into a closed connection is the server closing it.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      clearTimeout(timer);
      done = true;
      reject(error);
    });
    socket.write(typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload);
  });
}

function parseHead(head: string): { status: number; headers: Map<string, string> } | undefined {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine);
  if (match === null) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines)
    headers.set(line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim());
  return { status: Number(match[1]), headers };
}

/** Decodes a chunked body at `text`; undefined when incomplete or malformed. */
function dechunk(text: string): { body: string; used: number } | undefined {
  let at = 0;
  let body = '';
  for (let guard = 0; guard < 10_000; guard += 1) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = Number.parseInt(text.slice(at, eol), 16);
    if (!Number.isFinite(size)) return undefined;
    at = eol + 2;
    if (size === 0) return text.startsWith('\r\n', at) ? { body, used: at + 2 } : undefined;
    body += text.slice(at, at + size);
    at += size + 2;
  }
  return undefined;
}

/**
 * Splits what a server sent into responses. `head` says the (only) request was HEAD, whose
 * answer has a content-length but no body. Returns the responses and any bytes that are not one.
 */
export function parseResponses(text: string, head = false): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    const parsed = end === -1 ? undefined : parseHead(text.slice(at, end));
    if (parsed === undefined) break;
    const start = end + 4;
    const length = parsed.headers.get('content-length');
    let body = '';
    let next = start;
    if (head || parsed.status < 200 || parsed.status === 204 || parsed.status === 304) {
      next = start;
    } else if (length !== undefined) {
      if (text.length < start + Number(length)) break;
      body = text.slice(start, start + Number(length));
      next = start + Number(length);
    } else if (parsed.headers.get('transfer-encoding') === 'chunked') {
      const chunked = dechunk(text.slice(start));
      if (chunked === undefined) break;
      body = chunked.body;
      next = start + chunked.used;
    } else {
      // Close-delimited: the rest of the stream is the body.
      body = text.slice(start);
      next = text.length;
    }
    responses.push({ status: parsed.status, headers: parsed.headers, body });
    at = next;
  }
  return { responses, rest: text.slice(at) };
}

/**
 * Every way a reply breaks the rule "200 only with a current key authorization, anything else
 * only with a fixed body, and nothing that is not a response". Empty when the reply is clean.
 */
export function violations(reply: RawReply, current: ReadonlySet<string>, head = false): string[] {
  const { responses, rest } = parseResponses(reply.text, head);
  const found: string[] = [];
  for (const response of responses) {
    if (response.status === 200 && !current.has(response.body) && !(head && response.body === '')) {
      found.push(
        `200 with a body that is not a current key authorization: ${JSON.stringify(response.body.slice(0, 200))}`,
      );
    } else if (response.status !== 200 && !FIXED_BODIES.has(response.body)) {
      found.push(`${response.status} with an unexpected body: ${JSON.stringify(response.body.slice(0, 200))}`);
    } else if (response.status !== 200 && response.status < 400) {
      found.push(`unexpected status ${response.status}`);
    }
  }
  if (rest !== '') found.push(`bytes that are not an HTTP response: ${JSON.stringify(rest.slice(0, 200))}`);
  return found;
}
