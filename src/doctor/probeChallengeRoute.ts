import { randomBytes } from 'node:crypto';
import { AppError, messageOf } from '../errors';
import type { ChallengeProbe } from './checkChallengeRoute';

/** The parts of the HTTP-01 responder the probe uses (ChallengeResponder fits). */
export interface ProbeResponder {
  acquire(): Promise<() => Promise<void>>;
  present(token: string, keyAuthorization: string): Promise<void>;
  cleanup(token: string): Promise<void>;
}

/** Options of probeChallengeRoute(). */
export interface ProbeChallengeRouteOptions {
  responder: ProbeResponder;
  /** Fetches a token through HAProxy and throws when the body is not the key authorization; undefined when --preflight is off. */
  preflight: ((target: { domain: string; token: string; keyAuthorization: string }) => Promise<void>) | undefined;
  /** The --preflight URL, for the report. */
  preflightUrl: string | undefined;
  /** Host header to send: a name HAProxy routes (the configured or a stored domain). */
  host: string;
  /** How the responder is named in fixes, e.g. `127.0.0.1:34000`. */
  responderLabel: string;
  /** Default: 32 random bytes as base64url (43 characters, like a CA's token). */
  randomToken?: () => string;
}

const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Presents a random probe token in our responder for the length of one GET through HAProxy's HTTP
 * frontend, exactly as the CA would fetch it. The probe's "key authorization" is random too and
 * proves only that the answer came from this responder. Never throws.
 */
export async function probeChallengeRoute(options: ProbeChallengeRouteOptions): Promise<ChallengeProbe> {
  const { preflight, preflightUrl } = options;
  if (preflight === undefined || preflightUrl === undefined) {
    return { kind: 'skipped', reason: "no --preflight URL (HAProxy's HTTP frontend) is configured; pass e.g. --preflight http://127.0.0.1:80 to check the route" };
  }
  const token = (options.randomToken ?? newToken)();
  const keyAuthorization = `${token}.${(options.randomToken ?? newToken)()}`;
  let release: (() => Promise<void>) | undefined;
  try {
    release = await options.responder.acquire();
  } catch (error) {
    return { kind: 'responder-unavailable', error: messageOf(error), responder: options.responderLabel };
  }
  try {
    await options.responder.present(token, keyAuthorization);
    await preflight({ domain: options.host, token, keyAuthorization });
    return { kind: 'answered', url: `${preflightUrl.replace(/\/+$/, '')}/.well-known/acme-challenge/<probe token>`, host: options.host };
  } catch (error) {
    const detail = error instanceof AppError ? error.message : `Preflight failed: ${messageOf(error)}`;
    return { kind: 'failed', error: detail, responder: options.responderLabel };
  } finally {
    await options.responder.cleanup(token).catch(() => undefined);
    await release().catch(() => undefined);
  }
}
