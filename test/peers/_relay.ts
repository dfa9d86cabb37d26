/** What both thin proxies in front of pebble (_ari-proxy.ts, _fault-proxy.ts) need to relay a request. */
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';

/** A JWS or CSR is a few KiB; anything larger is refused. */
export const MAX_BODY_BYTES = 256 * 1024;

/** RFC 9110 §7.6.1 hop-by-hop fields: never relayed (the body is re-sent with its own length). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'content-length',
]);

/** The headers without the hop-by-hop ones. */
export function endToEnd(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

/** The whole request body; the request is destroyed past MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error(`request body above ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** How long pebble may take to answer one relayed request. */
const UPSTREAM_TIMEOUT_MS = 10_000;

/** Pebble's answer to a relayed request, body read whole. */
export type UpstreamAnswer = { status: number; headers: IncomingMessage['headers']; body: Buffer };

/** Sends the client's request (its end-to-end headers, its Host) to pebble; resolves with pebble's answer. */
export function forwardToPebble(
  req: IncomingMessage,
  body: Buffer,
  upstream: { url: URL; agent: https.Agent },
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: upstream.url.hostname,
        port: upstream.url.port,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
        agent: upstream.agent,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`pebble did not answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
