/**
 * Replay-Nonces to spare a round trip per signed request. acme-client 5.4.0 sends `HEAD newNonce`
 * before every POST and ignores the Replay-Nonce that every answer carries (RFC 8555 §6.5: "the
 * server MUST include a Replay-Nonce header field in every successful response to a POST", and a
 * client may use each once). The transport keeps those it would lose here and answers the next
 * `HEAD newNonce` from them. A nonce the CA no longer accepts costs one badNonce answer, whose
 * own fresh nonce acme-client retries with: never more requests than without the pool.
 */
import type { HttpFailure } from './_http';
import type { AcmeRequestConfig, AcmeResponse } from './_lib';

/** Bounds of a NoncePool. */
export interface NoncePoolOptions {
  /** Nonces older than this are dropped, in ms (a CA forgets nonces after a while). */
  maxAgeMs: number;
  /** At most this many nonces per CA origin; the oldest go first. */
  maxPerOrigin: number;
}

// RFC 8555 §6.5.1: the nonce is base64url; anything else is not kept.
const NONCE = /^[A-Za-z0-9_-]{1,256}$/;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Unused Replay-Nonces per CA origin, each handed out once, newest first. No I/O; time comes in. */
export class NoncePool {
  private readonly byOrigin = new Map<string, { nonce: string; atMs: number }[]>();

  constructor(private readonly options: NoncePoolOptions) {}

  /** Keeps `nonce` (a Replay-Nonce header value) from an answer of `url`; ignores anything not a nonce. */
  put(url: string, nonce: unknown, nowMs: number): void {
    const origin = originOf(url);
    if (origin === undefined || typeof nonce !== 'string' || !NONCE.test(nonce)) return;
    const kept = this.byOrigin.get(origin) ?? [];
    kept.push({ nonce, atMs: nowMs });
    if (kept.length > this.options.maxPerOrigin) kept.splice(0, kept.length - this.options.maxPerOrigin);
    this.byOrigin.set(origin, kept);
  }

  /** The newest unexpired nonce for the CA at `url`'s origin, removed from the pool; undefined when none. */
  take(url: string, nowMs: number): string | undefined {
    const origin = originOf(url);
    if (origin === undefined) return undefined;
    const kept = this.byOrigin.get(origin) ?? [];
    const fresh = kept.filter((entry) => nowMs - entry.atMs <= this.options.maxAgeMs && entry.atMs <= nowMs);
    const newest = fresh.pop();
    if (fresh.length === 0) this.byOrigin.delete(origin);
    else this.byOrigin.set(origin, fresh);
    return newest?.nonce;
  }
}

// One minute is well inside what CAs keep nonces for; a CA rarely has more than 16 answers in flight to us.
const NONCE_MAX_AGE_MS = 60_000;
const NONCES_PER_CA = 16;

/** The process's pool: nonces are per CA, not per account or operation. */
const pool = new NoncePool({ maxAgeMs: NONCE_MAX_AGE_MS, maxPerOrigin: NONCES_PER_CA });

/** Keeps the Replay-Nonce of an answer of `url` that acme-client will not read. */
export function keepNonce(url: string, nonce: unknown, nowMs: number): void {
  pool.put(url, nonce, nowMs);
}

/** A kept nonce for the CA at `url`, used once; undefined when none is fresh. */
export function takeNonce(url: string, nowMs: number): string | undefined {
  return pool.take(url, nowMs);
}

/** What a newNonce answer would have carried: `nonce` as its Replay-Nonce. */
export function nonceAnswer(nonce: string, config: AcmeRequestConfig): AcmeResponse {
  return {
    data: '',
    status: 200,
    statusText: 'OK',
    headers: { 'replay-nonce': nonce, 'cache-control': 'no-store' },
    config,
  };
}

/**
 * Whether acme-client reads this answer's Replay-Nonce itself: the answer to its `HEAD newNonce`,
 * and a badNonce answer to a POST, which it retries with (http.js signedRequest).
 */
export function readsOwnNonce(method: string, failure: HttpFailure | undefined): boolean {
  if (method === 'HEAD') return true;
  return (
    method === 'POST' && failure?.kind === 'problem' && failure.problem.type === 'urn:ietf:params:acme:error:badNonce'
  );
}
