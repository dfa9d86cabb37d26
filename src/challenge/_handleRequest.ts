import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { ChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { isValidToken } from './_token';

/** RFC 8555 §8.3: the CA fetches `/.well-known/acme-challenge/<token>`. */
const CHALLENGE_PATH_PREFIX = '/.well-known/acme-challenge/';

const NOT_FOUND_BODY = 'not found\n';
const METHOD_NOT_ALLOWED_BODY = 'method not allowed\n';
const INTERNAL_ERROR_BODY = 'internal error\n';
/** RFC 9110 §15.5.6: a 405 lists the methods the resource supports. */
const ALLOWED_METHODS = 'GET, HEAD';

/**
 * The whole answer to a CONNECT, which node:http hands over as a raw socket. Same body and
 * headers as any other 405.
 */
export const CONNECT_REPLY = [
  'HTTP/1.1 405 Method Not Allowed',
  `allow: ${ALLOWED_METHODS}`,
  'content-type: text/plain',
  `content-length: ${METHOD_NOT_ALLOWED_BODY.length}`,
  'cache-control: no-store',
  'connection: close',
  '',
  METHOD_NOT_ALLOWED_BODY,
].join('\r\n');

/**
 * The token named by a request target, or undefined. Only origin-form targets count, the query
 * is ignored, and nothing is percent-decoded: a token is base64url, so `%2e%2e`, `..` or an
 * extra `/` can never match.
 */
export function tokenOf(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith(CHALLENGE_PATH_PREFIX)) return undefined;
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const token = path.slice(CHALLENGE_PATH_PREFIX.length);
  return isValidToken(token) ? token : undefined;
}

/** Whether the request announces a body (RFC 9112 §6.3); we never read one. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Whether the connection must close after the answer: a body we never read would be parsed as
 * the next request (request smuggling), and after an Upgrade request node:http stops parsing.
 */
function mustClose(request: IncomingMessage): boolean {
  return hasBody(request) || request.headers.upgrade !== undefined;
}

/** Sends a fixed plain-text answer; never any part of the request. */
function answer(response: ServerResponse, status: number, body: string, close = false): void {
  response.statusCode = status;
  response.setHeader('content-type', 'text/plain');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.setHeader('cache-control', 'no-store');
  if (status === 405) response.setHeader('allow', ALLOWED_METHODS);
  if (close) response.setHeader('connection', 'close');
  if (response.req.method === 'HEAD') response.end();
  else response.end(body);
}

/** Options of handleChallengeRequest. */
export interface HandleRequestOptions {
  registry: ChallengeTokenRegistry;
  logger: Logger;
}

/**
 * Answers one request: 200 with the key authorization for a known token, 405 for a method other
 * than GET or HEAD, 404 for all else (a request with a body included).
 */
export async function handleChallengeRequest(
  request: IncomingMessage,
  response: ServerResponse,
  options: HandleRequestOptions,
): Promise<void> {
  const method = request.method;
  const close = mustClose(request);
  if (method !== 'GET' && method !== 'HEAD') {
    answer(response, 405, METHOD_NOT_ALLOWED_BODY, close);
    return;
  }
  // A GET with a body is not what a CA sends, and its body is never read.
  const token = hasBody(request) ? undefined : tokenOf(request.url);
  if (token === undefined) {
    answer(response, 404, NOT_FOUND_BODY, close);
    return;
  }
  const remoteAddress = request.socket.remoteAddress ?? 'unix';
  let keyAuthorization: string | undefined;
  try {
    keyAuthorization = await options.registry.get(token);
  } catch (error) {
    options.logger.warn('Cannot look up HTTP-01 token', { token, remoteAddress, error: messageOf(error) });
    answer(response, 500, INTERNAL_ERROR_BODY, true);
    return;
  }
  if (keyAuthorization === undefined) {
    options.logger.debug('HTTP-01 token not found', { token, remoteAddress });
    answer(response, 404, NOT_FOUND_BODY, close);
    return;
  }
  // The token is public; the key authorization is never logged.
  options.logger.debug('Served HTTP-01 token', { token, remoteAddress, method });
  answer(response, 200, keyAuthorization, close);
}
