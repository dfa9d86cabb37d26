import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { ChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { isValidToken } from './_token';

/** RFC 8555 §8.3: the CA fetches `/.well-known/acme-challenge/<token>`. */
const CHALLENGE_PATH_PREFIX = '/.well-known/acme-challenge/';

const NOT_FOUND_BODY = 'not found\n';
const INTERNAL_ERROR_BODY = 'internal error\n';

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

/** Sends a fixed plain-text answer; never any part of the request. */
function answer(response: ServerResponse, status: number, body: string, close = false): void {
  response.statusCode = status;
  response.setHeader('content-type', 'text/plain');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.setHeader('cache-control', 'no-store');
  if (close) response.setHeader('connection', 'close');
  if (response.req.method === 'HEAD') response.end();
  else response.end(body);
}

/** Options of handleChallengeRequest. */
export interface HandleRequestOptions {
  registry: ChallengeTokenRegistry;
  logger: Logger;
}

/** Answers one request: 200 with the key authorization for a known token, 404 for all else. */
export async function handleChallengeRequest(
  request: IncomingMessage,
  response: ServerResponse,
  options: HandleRequestOptions,
): Promise<void> {
  const method = request.method;
  if (hasBody(request)) {
    // Closing the connection means the unread body is never parsed as a next request.
    answer(response, 404, NOT_FOUND_BODY, true);
    return;
  }
  const token = tokenOf(request.url);
  if ((method !== 'GET' && method !== 'HEAD') || token === undefined) {
    answer(response, 404, NOT_FOUND_BODY);
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
    answer(response, 404, NOT_FOUND_BODY);
    return;
  }
  // The token is public; the key authorization is never logged.
  options.logger.debug('Served HTTP-01 token', { token, remoteAddress, method });
  answer(response, 200, keyAuthorization);
}
