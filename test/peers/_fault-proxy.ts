/**
 * A fault-injecting HTTPS proxy in front of the REAL pebble: every request goes
 * to pebble unchanged unless a rule picks it ("the 2nd newOrder", "every finalize"), and then the
 * proxy breaks it the way a CA, a load balancer or the network does. Not a fake CA.
 *
 * Like the ARI proxy (_ari-proxy.ts) it forwards with the client's Host header, so every URL pebble
 * returns points at the proxy, and it serves pebble's own TLS certificate. Every response carries
 * `Connection: close`, so each request opens its own connection and a `refuse` rule takes effect
 * at the very next request.
 */
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import type { Peers } from './_types';
import { endToEnd, forwardToPebble, readBody, type UpstreamAnswer } from './_relay';
import { httpsGet } from './_wait';

/** What a request is, by pebble 2.4's paths and its directory. */
export type AcmeResource =
  | 'directory'
  | 'newNonce'
  | 'newAccount'
  | 'account'
  | 'newOrder'
  | 'order'
  | 'finalize'
  | 'authorization'
  | 'challenge'
  | 'certificate'
  | 'revokeCert'
  | 'keyChange'
  | 'other';

/**
 * How a picked request is broken:
 * - `refuse`: answered normally, then the listener closes: every later connection is refused
 *   (ECONNREFUSED) until `acceptConnections()`. A TCP connection cannot be refused per request,
 *   since the request is only seen after the connection was accepted.
 * - `reset`: forwarded; the status line, headers and half of pebble's body are sent, then the
 *   connection is destroyed.
 * - `status`: not forwarded; answered with `status` (`Retry-After: retryAfter` when given) and a
 *   problem document of `problemType` (default serverInternal, rateLimited for 429), or an HTML
 *   page like a load balancer's when `html` is true.
 * - `slow`: held `delayMs` (at most 60 s), then forwarded if the client is still there.
 * - `trickle`: forwarded; headers at once, then one body byte every `intervalMs` (at most 60 s in all).
 * - `truncate`: forwarded; the first half of pebble's body is sent with a matching Content-Length.
 * - `authorizations`: forwarded; pebble's JSON body (an order) gets `count` made-up authorization
 *   URLs on the proxy instead of its own, e.g. 100,000 of them in about 4.0 MB (below the client's
 *   4 MiB response limit). A request for one of them is counted (`injectedAuthorizationRequests`)
 *   and answered 404 without reaching pebble.
 * - `noLocation`: forwarded; pebble's `Location` header is left out of the answer.
 */
export type Fault =
  | { kind: 'refuse' }
  | { kind: 'reset' }
  | { kind: 'status'; status: number; retryAfter?: string; problemType?: string; html?: boolean }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'trickle'; intervalMs: number }
  | { kind: 'truncate' }
  | { kind: 'authorizations'; count: number }
  | { kind: 'noLocation' };

/** Which requests a fault applies to. */
export interface FaultRule {
  /** The resource requested; `any` matches every request. */
  resource: AcmeResource | 'any';
  /** Only the Nth matching request (1-based), counted from `setFaults()`. Default: every one. */
  nth?: number;
  fault: Fault;
}

/** One request the proxy saw. */
export interface FaultProxyRequest {
  method: string;
  path: string;
  resource: AcmeResource;
  /** The fault applied, if any. */
  fault?: Fault['kind'];
  /** Pebble's status, for a request relayed without a fault. */
  status?: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `https://127.0.0.1:<port>/dir`. */
  directoryUrl: string;
  /** Every request, oldest first (the first 2000). */
  readonly requests: FaultProxyRequest[];
  /** How many requests for `resource` (with `method`, when given) arrived since the start; every one is counted. */
  countOf(resource: AcmeResource, method?: string): number;
  /** How many requests for the made-up URLs of an `authorizations` fault arrived since the start. */
  injectedAuthorizationRequests(): number;
  /** Replaces the rules (first match wins) and restarts their counts. */
  setFaults(rules: FaultRule[]): void;
  /** Listens again on the same port after a `refuse` fault or `refuseConnections()`. */
  acceptConnections(): Promise<void>;
  /** Stops listening now: every new connection is refused. */
  refuseConnections(): Promise<void>;
  /** Closes the listener and every connection, cancels pending faults; idempotent. */
  stop(): Promise<void>;
}

/** Upper bound of every wait the proxy makes (slow, trickle). */
export const FAULT_MAX_DELAY_MS = 60_000;
const MAX_REQUESTS_KEPT = 2000;
/** Path prefix of the made-up authorization URLs (short, so that 100,000 of them fit in 4 MiB of JSON). */
const INJECTED_AUTHZ_PREFIX = '/authZ/x-';
const ERR = 'urn:ietf:params:acme:error:';
// pebble 2.4's per-object paths (wfe.go); the fixed endpoints come from its directory.
const PREFIXES: Array<[string, AcmeResource]> = [
  ['/my-account/', 'account'],
  ['/my-order/', 'order'],
  ['/finalize-order/', 'finalize'],
  ['/authZ/', 'authorization'],
  ['/chalZ/', 'challenge'],
  ['/certZ/', 'certificate'],
];

function cannedAnswer(res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
  const type = fault.problemType ?? (fault.status === 429 ? `${ERR}rateLimited` : `${ERR}serverInternal`);
  const body =
    fault.html === true
      ? `<html><body><h1>${fault.status} Service Unavailable</h1></body></html>`
      : JSON.stringify({ type, detail: `Fault proxy answered HTTP ${fault.status}`, status: fault.status });
  const contentType = fault.html === true ? 'text/html' : 'application/problem+json';
  res.writeHead(fault.status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...(fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter }),
  });
  res.end(body);
}

/** Starts the proxy on 127.0.0.1 (free port) in front of `peers`' pebble. The caller MUST call `stop()`. */
export async function startFaultProxy(
  peers: Pick<Peers, 'directoryUrl' | 'caBundlePath' | 'workDir'>,
): Promise<FaultProxy> {
  const ca = await fs.readFile(peers.caBundlePath, 'utf8');
  const key = await fs.readFile(path.join(peers.workDir, 'pebble.key'), 'utf8');
  const upstream = new URL(peers.directoryUrl);
  const directory = JSON.parse((await httpsGet(peers.directoryUrl, ca)).body) as Record<string, unknown>;
  const fixed = new Map<string, AcmeResource>([[upstream.pathname, 'directory']]);
  for (const name of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange'] as const) {
    if (typeof directory[name] === 'string') fixed.set(new URL(directory[name]).pathname, name);
  }
  const agent = new https.Agent({ ca, keepAlive: false });
  const requests: FaultProxyRequest[] = [];
  const counts = new Map<string, number>();
  let injectedRequests = 0;
  let rules: Array<{ rule: FaultRule; seen: number }> = [];
  // Pending waits, so that stop() can end them at once.
  const timers = new Map<NodeJS.Timeout, () => void>();

  const resourceOf = (pathname: string): AcmeResource =>
    fixed.get(pathname) ?? PREFIXES.find(([prefix]) => pathname.startsWith(prefix))?.[1] ?? 'other';

  const pick = (resource: AcmeResource): Fault | undefined => {
    for (const entry of rules) {
      if (entry.rule.resource !== 'any' && entry.rule.resource !== resource) continue;
      entry.seen += 1;
      if (entry.rule.nth === undefined || entry.rule.nth === entry.seen) return entry.rule.fault;
    }
    return undefined;
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          resolve();
        },
        Math.min(Math.max(0, ms), FAULT_MAX_DELAY_MS),
      );
      timers.set(timer, resolve);
    });

  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    forwardToPebble(req, body, { url: upstream, agent });

  const relay = (res: ServerResponse, answer: UpstreamAnswer, body: Buffer = answer.body): void => {
    res.writeHead(answer.status, {
      ...endToEnd(answer.headers),
      'Content-Length': String(body.length),
      Connection: 'close',
    });
    res.end(body);
  };

  const trickle = async (res: ServerResponse, answer: UpstreamAnswer, intervalMs: number): Promise<void> => {
    res.writeHead(answer.status, {
      ...endToEnd(answer.headers),
      'Content-Length': String(answer.body.length),
      Connection: 'close',
    });
    const steps = Math.min(answer.body.length, Math.floor(FAULT_MAX_DELAY_MS / Math.max(1, intervalMs)));
    for (let i = 0; i < steps && !res.destroyed; i += 1) {
      res.write(answer.body.subarray(i, i + 1));
      await wait(intervalMs);
    }
    if (!res.destroyed) res.end(answer.body.subarray(steps));
  };

  /** The order in `answer` with `count` made-up authorization URLs on this proxy (`Host` as the client sent it). */
  const withInjectedAuthorizations = (req: IncomingMessage, answer: UpstreamAnswer, count: number): Buffer => {
    const order = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    const base = `https://${req.headers.host ?? '127.0.0.1'}${INJECTED_AUTHZ_PREFIX}`;
    order.authorizations = Array.from({ length: count }, (_, i) => `${base}${i}`);
    return Buffer.from(JSON.stringify(order));
  };

  const applyFault = async (fault: Fault, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    if (fault.kind === 'status') return cannedAnswer(res, fault);
    if (fault.kind === 'authorizations') {
      const answer = await forward(req, body);
      return relay(
        res,
        answer,
        answer.status < 300 ? withInjectedAuthorizations(req, answer, fault.count) : answer.body,
      );
    }
    if (fault.kind === 'noLocation') {
      const answer = await forward(req, body);
      const { location: _location, ...headers } = answer.headers;
      return relay(res, { ...answer, headers });
    }
    if (fault.kind === 'slow') {
      await wait(fault.delayMs);
      if (res.destroyed || req.socket.destroyed) return;
      return relay(res, await forward(req, body));
    }
    const answer = await forward(req, body);
    if (fault.kind === 'refuse') {
      relay(res, answer);
      return controls.refuseConnections();
    }
    if (fault.kind === 'trickle') return trickle(res, answer, fault.intervalMs);
    const half = answer.body.subarray(0, Math.floor(answer.body.length / 2));
    if (fault.kind === 'truncate') return relay(res, answer, half);
    // reset: a Content-Length promising the whole body, half of it, then the connection dies.
    res.writeHead(answer.status, {
      ...endToEnd(answer.headers),
      'Content-Length': String(answer.body.length),
      Connection: 'close',
    });
    res.write(half, () => res.destroy());
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'https://proxy.invalid').pathname;
    const resource = resourceOf(pathname);
    const body = await readBody(req);
    for (const key of [resource, `${req.method ?? ''} ${resource}`]) counts.set(key, (counts.get(key) ?? 0) + 1);
    if (pathname.startsWith(INJECTED_AUTHZ_PREFIX)) {
      injectedRequests += 1;
      return cannedAnswer(res, { kind: 'status', status: 404, problemType: `${ERR}malformed` });
    }
    const fault = pick(resource);
    const record: FaultProxyRequest = {
      method: req.method ?? '',
      path: pathname,
      resource,
      ...(fault === undefined ? {} : { fault: fault.kind }),
    };
    if (requests.length < MAX_REQUESTS_KEPT) requests.push(record);
    if (fault !== undefined) return applyFault(fault, req, res, body);
    const answer = await forward(req, body);
    record.status = answer.status;
    relay(res, answer);
  };

  const server = https.createServer({ cert: ca, key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end(`Fault proxy: ${String(err)}`);
      } else res.destroy();
    });
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  const controls = {
    refuseConnections: (): Promise<void> => {
      if (!server.listening) return Promise.resolve();
      // close() stops accepting at once; its callback would wait for open connections.
      server.close();
      return Promise.resolve();
    },
    acceptConnections: (): Promise<void> =>
      server.listening || stopping !== undefined ? Promise.resolve() : listen(port),
  };
  return {
    directoryUrl: `https://127.0.0.1:${port}${upstream.pathname}`,
    requests,
    countOf: (resource, method) =>
      counts.get(method === undefined ? resource : `${method.toUpperCase()} ${resource}`) ?? 0,
    injectedAuthorizationRequests: () => injectedRequests,
    setFaults(next) {
      rules = next.map((rule) => ({ rule, seen: 0 }));
    },
    ...controls,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        for (const [timer, resolveWait] of timers) {
          clearTimeout(timer);
          resolveWait();
        }
        timers.clear();
        rules = [];
        server.closeAllConnections();
        agent.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      })),
  };
}
