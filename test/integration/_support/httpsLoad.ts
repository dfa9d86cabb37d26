/** HTTPS clients for the tests that swap or reload under load: one request, and a bounded loop of them. */
import { request } from 'node:https';

/** One HTTPS GET of `path` to 127.0.0.1:`port` with SNI `servername`, on a new connection; resolves with the status. */
export function httpsStatus(port: number, servername: string, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path,
      servername,
      headers: { host: servername },
      rejectUnauthorized: false,
      agent: false,
      timeout: 5_000,
    };
    const req = request(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}

/** What a load loop saw: requests answered 200, and every other outcome. */
export interface LoadSeen {
  ok: number;
  failed: string[];
}

/**
 * GETs in a loop, one at a time, until `stop()` (and at most 20,000 of them or 120 s): each new
 * connection makes a new TLS handshake, so a certificate swap or a reload in between is seen.
 */
export function loadHttps(port: number, servername: string, path = '/'): { stop: () => Promise<LoadSeen> } {
  let stopping = false;
  const seen: LoadSeen = { ok: 0, failed: [] };
  const deadline = Date.now() + 120_000;
  const loop = (async () => {
    for (let i = 0; i < 20_000 && !stopping && Date.now() < deadline; i += 1) {
      try {
        const status = await httpsStatus(port, servername, path);
        if (status === 200) seen.ok += 1;
        else seen.failed.push(`HTTP ${status}`);
      } catch (error) {
        seen.failed.push((error as Error).message);
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return seen;
    },
  };
}
