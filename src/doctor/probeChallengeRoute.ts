import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { ChallengeIdentifier, Http01ResponderMode, ResponderChallengeType } from '../challenge';
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
  /**
   * Who answers HTTP-01 (Config.http01Mode). Default: `local`. `shared`: `responder` publishes to the
   * shared token table and `acme daemon`'s responder answers. `stateless`: HAProxy answers
   * `<token>.<thumbprint>` itself, so the probe expects exactly that.
   */
  mode?: Http01ResponderMode;
  /**
   * Stateless mode: the thumbprint of the account stored for `directoryUrl`, or undefined when none
   * is stored. MUST be given in stateless mode.
   */
  accountThumbprint?: () => Promise<string | undefined>;
  /** The --directory the account belongs to, for the report. */
  directoryUrl?: string;
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
 * Stateless mode: the thumbprint HAProxy must answer with (the stored account's), or the probe's
 * outcome when there is none to expect.
 */
async function statelessAnswer(
  options: ProbeChallengeRouteOptions,
  tags: ProbeTags,
  responder: string,
): Promise<string | ChallengeProbe> {
  const directoryUrl = options.directoryUrl ?? 'the configured --directory';
  try {
    const thumbprint = await (options.accountThumbprint ?? (async () => undefined))();
    return thumbprint ?? { kind: 'no-account', ...tags, directoryUrl };
  } catch (error) {
    const detail = `cannot read the account stored for "${directoryUrl}", whose thumbprint HAProxy answers with: ${messageOf(error)}`;
    return { kind: 'failed', ...tags, cause: 'account', error: detail, responder };
  }
}

/**
 * Presents a random probe token in our responder for the length of one check through HAProxy,
 * exactly as the CA would make it: for HTTP-01 a GET through HAProxy's HTTP frontend, for
 * TLS-ALPN-01 a handshake with SNI `host` and ALPN acme-tls/1 through its HTTPS frontend. The
 * probe's "key authorization" is random too and proves only that the answer came from this
 * responder. In shared mode the token goes to the shared table, answered by `acme daemon`'s
 * responder. In stateless mode HAProxy answers by itself, so the expected answer is exactly
 * `<token>.<thumbprint>` of the stored account. Never throws.
 */
export async function probeChallengeRoute(options: ProbeChallengeRouteOptions): Promise<ChallengeProbe> {
  const { preflight, preflightUrl, responderLabel: responder } = options;
  const challengeType = options.challengeType ?? 'http-01';
  const mode = challengeType === 'http-01' ? (options.mode ?? 'local') : 'local';
  // Only a mode other than local is named, so a local probe reads as before.
  const tags: ProbeTags = { challengeType, ...(mode === 'local' ? {} : { mode }) };
  // Stateless: a missing account fails even without --preflight, since no validation can pass.
  const thumbprint = mode === 'stateless' ? await statelessAnswer(options, tags, responder) : undefined;
  if (thumbprint !== undefined && typeof thumbprint !== 'string') return thumbprint;
  if (preflight === undefined || preflightUrl === undefined)
    return { kind: 'skipped', ...tags, reason: skippedReason(challengeType) };
  const badUrl = preflightUrlProblem(preflightUrl, challengeType);
  if (badUrl !== undefined) return { kind: 'failed', challengeType, cause: 'preflight-url', responder, error: badUrl };
  return presentAndFetch(options, { tags, preflight, preflightUrl, thumbprint });
}

/** The challenge type and (unless local) the HTTP-01 mode every outcome carries. */
type ProbeTags = { challengeType: ResponderChallengeType; mode?: Http01ResponderMode };

/** Presents the probe token for the length of one check through HAProxy; never throws. */
async function presentAndFetch(
  options: ProbeChallengeRouteOptions,
  probe: {
    tags: ProbeTags;
    preflight: NonNullable<ProbeChallengeRouteOptions['preflight']>;
    preflightUrl: string;
    thumbprint: string | undefined;
  },
): Promise<ChallengeProbe> {
  const { host, responderLabel: responder } = options;
  const { tags, preflight, preflightUrl, thumbprint } = probe;
  const token = (options.randomToken ?? newToken)();
  const keyAuthorization = `${token}.${thumbprint ?? (options.randomToken ?? newToken)()}`;
  const withThumbprint = thumbprint === undefined ? {} : { thumbprint };
  let release: (() => Promise<void>) | undefined;
  try {
    release = await options.responder.acquire();
  } catch (error) {
    return { kind: 'responder-unavailable', ...tags, error: messageOf(error), responder };
  }
  // TLS-ALPN-01 chooses the certificate by SNI: the identifier as the CA sends it (an IP literal for RFC 8738); HTTP-01 ignores it.
  const identifier: ChallengeIdentifier = { type: isIP(host) === 0 ? 'dns' : 'ip', value: host };
  try {
    try {
      await options.responder.present(token, keyAuthorization, identifier);
    } catch (error) {
      if (tags.mode !== 'shared') throw error;
      const detail = `cannot publish the probe token to the shared token table: ${messageOf(error)}`;
      return { kind: 'failed', ...tags, cause: 'publish', error: detail, responder };
    }
    await preflight({ domain: host, token, keyAuthorization });
    return { kind: 'answered', ...tags, url: probedUrl(preflightUrl, tags.challengeType), host, ...withThumbprint };
  } catch (error) {
    const detail = error instanceof AppError ? error.message : `Preflight failed: ${messageOf(error)}`;
    const cause = isUnreachable(error) ? 'unreachable' : 'route';
    return { kind: 'failed', ...tags, cause, error: detail, responder, ...withThumbprint };
  } finally {
    await options.responder.cleanup(token).catch(() => undefined);
    await release().catch(() => undefined);
  }
}
