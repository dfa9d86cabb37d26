/**
 * A thin HTTPS reverse proxy in front of the REAL pebble that adds what Debian's pebble 2.4 lacks:
 * ARI (RFC 9773 `renewalInfo`) and ACME profiles (`meta.profiles`). Everything else, every JWS
 * included, goes to pebble unchanged. Not a fake CA. In front of pebble 2.7, which has both, it
 * still serves the windows the test sets (so that a test can make a renewal due), and keeps
 * pebble's own profiles, the only ones pebble 2.7 accepts in an order.
 *
 * It forwards with the client's Host header: pebble builds every URL it returns (directory,
 * Location, Link) and checks each JWS `url` from the request's Host (verified against pebble
 * 2.4.0: `Host: 127.0.0.1:9999` gives `"newOrder": "https://127.0.0.1:9999/order-plz"`), so all
 * URLs point at the proxy without rewriting any body. It serves pebble's own TLS certificate
 * (localhost + 127.0.0.1), so a client that trusts `peers.caBundlePath` trusts the proxy.
 */
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import type { Peers } from './_types';
import { endToEnd, forwardToPebble, readBody, type UpstreamAnswer } from './_relay';
import { httpsGet } from './_wait';

/** Profiles Let's Encrypt offers (2026), the proxy's default `meta.profiles`. */
export const LETS_ENCRYPT_PROFILES: Readonly<Record<string, string>> = Object.freeze({
  classic: 'https://letsencrypt.org/docs/profiles#classic',
  tlsserver: 'https://letsencrypt.org/docs/profiles#tlsserver',
  shortlived: 'https://letsencrypt.org/docs/profiles#shortlived',
});

/** Options of `startAriProxy()`. */
export interface AriProxyOptions {
  /** `meta.profiles` added to pebble's directory; `null` adds none. Default: pebble's own when it has some (2.7), else LETS_ENCRYPT_PROFILES. */
  profiles?: Record<string, string> | null;
  /** Whether the directory advertises `renewalInfo: https://<proxy>/renewal-info`. Default: true. */
  renewalInfo?: boolean;
}

/** One newOrder payload the proxy saw (decoded from the flattened JWS), rejected or forwarded. */
export interface RecordedOrder {
  identifiers: Array<{ type: string; value: string }>;
  replaces?: string;
  profile?: string;
}

/** An RFC 8555 §6.7 problem the proxy answers instead of pebble. */
export interface ProxyProblem {
  status: number;
  type: string;
  detail: string;
}

/** A running proxy. */
export interface AriProxy {
  /** `https://127.0.0.1:<port>/dir`. */
  directoryUrl: string;
  /** Every CertID asked for at `/renewal-info/<certId>`, oldest first. */
  readonly renewalInfoRequests: string[];
  /** Every newOrder payload, oldest first. */
  readonly orders: RecordedOrder[];
  /** Serves `window` for `certId` with `Retry-After: retryAfterSeconds` (default 21600, 6 h). Unknown CertIDs get a 404 problem. */
  setWindow(
    certId: string,
    window: { start: Date; end: Date },
    options?: { retryAfterSeconds?: number; explanationUrl?: string },
  ): void;
  /** Serves this exact answer for `certId` (for bad JSON, bad windows, errors). */
  setRenewalInfoResponse(
    certId: string,
    response: { status: number; body: string; headers?: Record<string, string> },
  ): void;
  /** Answers the next newOrder POST with `problem` instead of forwarding it (once). */
  rejectNextOrder(problem: ProxyProblem): void;
  /** Closes the listener and every connection; idempotent. */
  stop(): Promise<void>;
}

type CannedResponse = { status: number; body: string; headers: Record<string, string> };

const RENEWAL_INFO_PATH = '/renewal-info';
const DEFAULT_RETRY_AFTER_SECONDS = 21_600;

function send(res: ServerResponse, answer: CannedResponse): void {
  res.writeHead(answer.status, { 'Content-Length': Buffer.byteLength(answer.body), ...answer.headers });
  res.end(answer.body);
}

function problemResponse(problem: ProxyProblem): CannedResponse {
  return {
    status: problem.status,
    body: JSON.stringify(problem),
    headers: { 'Content-Type': 'application/problem+json' },
  };
}

/** Decodes the payload of a flattened JWS (RFC 7515 §7.2.2) into the fields we record. */
function decodeOrder(body: Buffer): RecordedOrder | undefined {
  try {
    const jws = JSON.parse(body.toString('utf8')) as { payload?: string };
    const payload = JSON.parse(Buffer.from(jws.payload ?? '', 'base64url').toString('utf8')) as RecordedOrder;
    const { identifiers, replaces, profile } = payload;
    return {
      identifiers,
      ...(replaces === undefined ? {} : { replaces }),
      ...(profile === undefined ? {} : { profile }),
    };
  } catch {
    return undefined;
  }
}

/**
 * Starts the proxy on 127.0.0.1 (free port) in front of `peers`' pebble. The caller MUST call `stop()`.
 */
export async function startAriProxy(
  peers: Pick<Peers, 'directoryUrl' | 'caBundlePath' | 'workDir'>,
  options: AriProxyOptions = {},
): Promise<AriProxy> {
  const ca = await fs.readFile(peers.caBundlePath, 'utf8');
  const key = await fs.readFile(path.join(peers.workDir, 'pebble.key'), 'utf8');
  const upstream = new URL(peers.directoryUrl);
  const pebbleDirectory = await httpsGet(peers.directoryUrl, ca);
  const newOrderPath = new URL((JSON.parse(pebbleDirectory.body) as { newOrder: string }).newOrder).pathname;
  const pebbleProfiles = (JSON.parse(pebbleDirectory.body) as { meta?: { profiles?: Record<string, string> } }).meta
    ?.profiles;
  const profiles = options.profiles === undefined ? { ...(pebbleProfiles ?? LETS_ENCRYPT_PROFILES) } : options.profiles;
  const agent = new https.Agent({ ca, keepAlive: false });

  const renewalInfo = new Map<string, CannedResponse>();
  const renewalInfoRequests: string[] = [];
  const orders: RecordedOrder[] = [];
  const pendingRejections: ProxyProblem[] = [];

  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    forwardToPebble(req, body, { url: upstream, agent });

  const directory = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const answer = await forward(req, Buffer.alloc(0));
    const document = JSON.parse(answer.body.toString('utf8')) as {
      meta?: Record<string, unknown>;
      renewalInfo?: string;
    };
    if (options.renewalInfo !== false) document.renewalInfo = `https://${req.headers.host}${RENEWAL_INFO_PATH}`;
    if (profiles !== null) document.meta = { ...document.meta, profiles };
    send(res, {
      status: answer.status,
      body: JSON.stringify(document, null, 2),
      headers: { 'Content-Type': 'application/json' },
    });
  };

  const renewalInfoAnswer = (certId: string): CannedResponse => {
    renewalInfoRequests.push(certId);
    return (
      renewalInfo.get(certId) ??
      problemResponse({
        status: 404,
        type: 'urn:ietf:params:acme:error:malformed',
        detail: `No renewal information for CertID "${certId}"`,
      })
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'https://proxy.invalid').pathname;
    if (req.method === 'GET' && pathname === '/dir') return directory(req, res);
    if (req.method === 'GET' && pathname.startsWith(`${RENEWAL_INFO_PATH}/`)) {
      return send(res, renewalInfoAnswer(decodeURIComponent(pathname.slice(RENEWAL_INFO_PATH.length + 1))));
    }
    const body = await readBody(req);
    if (req.method === 'POST' && pathname === newOrderPath) {
      const order = decodeOrder(body);
      if (order !== undefined) orders.push(order);
      const rejection = pendingRejections.shift();
      if (rejection !== undefined) return send(res, problemResponse(rejection));
    }
    const answer = await forward(req, body);
    res.writeHead(answer.status, { ...endToEnd(answer.headers), 'content-length': String(answer.body.length) });
    res.end(answer.body);
  };

  const server = https.createServer({ cert: ca, key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, { status: 502, body: `ARI proxy: ${String(err)}`, headers: { 'Content-Type': 'text/plain' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    directoryUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}/dir`,
    renewalInfoRequests,
    orders,
    setWindow(certId, window, windowOptions = {}) {
      const body = JSON.stringify({
        suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() },
        ...(windowOptions.explanationUrl === undefined ? {} : { explanationURL: windowOptions.explanationUrl }),
      });
      const retryAfter = String(windowOptions.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
      renewalInfo.set(certId, {
        status: 200,
        body,
        headers: { 'Content-Type': 'application/json', 'Retry-After': retryAfter },
      });
    },
    setRenewalInfoResponse(certId, response) {
      renewalInfo.set(certId, { status: response.status, body: response.body, headers: response.headers ?? {} });
    },
    rejectNextOrder(problem) {
      pendingRejections.push(problem);
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      })),
  };
}
