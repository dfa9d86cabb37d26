import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { ChallengeIdentifier, ResponderChallengeType } from '../challenge';
import { AppError, messageOf } from '../errors';
import type { ChallengeProbe } from './checkChallengeRoute';

/** The parts of the responder the probe uses (ChallengeResponder fits). */
export interface ProbeResponder {
  acquire(): Promise<() => Promise<void>>;
  present(token: string, keyAuthorization: string, identifier?: ChallengeIdentifier): Promise<void>;
  cleanup(token: string): Promise<void>;
}

/** Options of probeChallengeRoute(). */
export interface ProbeChallengeRouteOptions {
  responder: ProbeResponder;
  /** The challenge type the responder answers (Config.challengeType). Default: `http-01`. */
  challengeType?: ResponderChallengeType;
  /**
   * Checks the route through HAProxy as the CA will and throws when it fails: for HTTP-01 a GET of
   * the token, for TLS-ALPN-01 a handshake with ALPN acme-tls/1 (Services.preflight, built for the
   * configured type); undefined when --preflight is off.
   */
  preflight: ((target: { domain: string; token: string; keyAuthorization: string }) => Promise<void>) | undefined;
  /** The --preflight URL, for the report. */
  preflightUrl: string | undefined;
  /** Host header (HTTP-01) or SNI (TLS-ALPN-01) to send: a name HAProxy routes (the configured or a stored domain). */
  host: string;
  /** How the responder is named in fixes, e.g. `127.0.0.1:34000`. */
  responderLabel: string;
  /** Default: 32 random bytes as base64url (43 characters, like a CA's token). */
  randomToken?: () => string;
}

const newToken = (): string => randomBytes(32).toString('base64url');

/** Errors of a connection that was never made: nothing listens at the --preflight URL, or it cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether the preflight failed before reaching anything (its cause is a connect error). */
function isUnreachable(error: unknown): boolean {
  const code = ((error as { cause?: unknown } | null)?.cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

function skippedReason(challengeType: ResponderChallengeType): string {
  return challengeType === 'tls-alpn-01'
    ? "no --preflight URL (HAProxy's HTTPS frontend) is configured; pass e.g. --preflight https://127.0.0.1:443 to check the route"
    : "no --preflight URL (HAProxy's HTTP frontend) is configured; pass e.g. --preflight http://127.0.0.1:80 to check the route";
}

/** Why the --preflight URL cannot check this challenge type, or undefined when it can. */
function preflightUrlProblem(preflightUrl: string, challengeType: ResponderChallengeType): string | undefined {
  if (challengeType !== 'tls-alpn-01' || /^https:/i.test(preflightUrl)) return undefined;
  return `the --preflight URL "${preflightUrl.slice(0, 200)}" is not an https URL, and TLS-ALPN-01 is checked with a TLS handshake on HAProxy's HTTPS frontend`;
}

/** What the report names as probed: the token's URL (HTTP-01), or the frontend the handshake went to (TLS-ALPN-01). */
function probedUrl(preflightUrl: string, challengeType: ResponderChallengeType): string {
  const base = preflightUrl.replace(/\/+$/, '');
  return challengeType === 'tls-alpn-01' ? base : `${base}/.well-known/acme-challenge/<probe token>`;
}

/**
 * Presents a random probe token in our responder for the length of one check through HAProxy,
 * exactly as the CA would make it: for HTTP-01 a GET through HAProxy's HTTP frontend, for
 * TLS-ALPN-01 a handshake with SNI `host` and ALPN acme-tls/1 through its HTTPS frontend. The
 * probe's "key authorization" is random too and proves only that the answer came from this
 * responder. Never throws.
 */
export async function probeChallengeRoute(options: ProbeChallengeRouteOptions): Promise<ChallengeProbe> {
  const { preflight, preflightUrl, host, responderLabel: responder } = options;
  const challengeType = options.challengeType ?? 'http-01';
  if (preflight === undefined || preflightUrl === undefined)
    return { kind: 'skipped', challengeType, reason: skippedReason(challengeType) };
  const badUrl = preflightUrlProblem(preflightUrl, challengeType);
  if (badUrl !== undefined) return { kind: 'failed', challengeType, cause: 'preflight-url', responder, error: badUrl };
  const token = (options.randomToken ?? newToken)();
  const keyAuthorization = `${token}.${(options.randomToken ?? newToken)()}`;
  let release: (() => Promise<void>) | undefined;
  try {
    release = await options.responder.acquire();
  } catch (error) {
    return { kind: 'responder-unavailable', challengeType, error: messageOf(error), responder };
  }
  // TLS-ALPN-01 chooses the certificate by SNI: the identifier as the CA sends it (an IP literal for RFC 8738); HTTP-01 ignores it.
  const identifier: ChallengeIdentifier = { type: isIP(host) === 0 ? 'dns' : 'ip', value: host };
  try {
    await options.responder.present(token, keyAuthorization, identifier);
    await preflight({ domain: host, token, keyAuthorization });
    return { kind: 'answered', challengeType, url: probedUrl(preflightUrl, challengeType), host };
  } catch (error) {
    const detail = error instanceof AppError ? error.message : `Preflight failed: ${messageOf(error)}`;
    return {
      kind: 'failed',
      challengeType,
      cause: isUnreachable(error) ? 'unreachable' : 'route',
      error: detail,
      responder,
    };
  } finally {
    await options.responder.cleanup(token).catch(() => undefined);
    await release().catch(() => undefined);
  }
}
