/** What both thin proxies in front of pebble (_ari-proxy.ts, _fault-proxy.ts) need to relay a request. */
import type { IncomingMessage } from 'node:http';

/** A JWS or CSR is a few KiB; anything larger is refused. */
export const MAX_BODY_BYTES = 256 * 1024;

/** RFC 9110 §7.6.1 hop-by-hop fields: never relayed (the body is re-sent with its own length). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);

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
