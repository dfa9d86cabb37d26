/**
 * ACME Renewal Information (RFC 9773): the unauthenticated GET of `<renewalInfo>/<CertID>` and a
 * strict reader of its answer. acme-client 5.4.0 has no ARI (notes §1.2), so this goes through
 * acme-client's axios instance directly, inside runOperation(): our adapter still applies the
 * timeout, the CA bundle, the signal, the bounded 429/503 retry and the Retry-After capture, and
 * turns an error status into a typed AcmeHttpError.
 */
import { acmeLib } from './_lib';
import { AcmeError } from '../errors';
import { sanitizeDetail } from './_problem';
import type { OperationContext } from './_transport';

/** The CA's suggested renewal window for one certificate (RFC 9773 §4.2). */
export interface RenewalInfo {
  /** Renew at a (uniformly random) time in [start, end); start < end always holds. */
  window: { start: Date; end: Date };
  /** `explanationURL`: a page for humans about this window, when the CA gave an http(s) one. */
  explanationUrl?: string;
  /** The response's Retry-After in ms: when to ask again (RFC 9773 §4.3). Returned as sent, not clamped. */
  retryAfterMs?: number;
}

// RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER bytes), no padding.
const CERT_ID = /^[A-Za-z0-9_-]{1,256}\.[A-Za-z0-9_-]{1,256}$/;
// RFC 3339 §5.6 date-time.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Checks that `certId` has the shape of an ARI CertID, so it can go into a URL path as is.
 * @throws {AcmeError} ACME_PROBLEM when `certId` is not two base64url parts joined by "."
 */
export function assertCertId(certId: string): void {
  if (CERT_ID.test(certId)) return;
  throw new AcmeError(
    'ACME_PROBLEM',
    `Cannot fetch the renewal information for "${sanitizeDetail(certId)}": a CertID is two base64url parts joined by "." (RFC 9773 §4.1)`,
  );
}

/**
 * `<base>/<certId>` (RFC 9773 §4.1: the CertID is appended as one path component).
 * @throws {AcmeError} ACME_PROBLEM when `certId` is not two base64url parts joined by "."
 */
export function renewalInfoUrl(base: string, certId: string): string {
  assertCertId(certId);
  return `${base.replace(/\/+$/, '')}/${certId}`;
}

function parseDate(value: unknown): Date | undefined {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (match === null) return undefined;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  // Date would roll "2025-02-31" over to March 3 and "24:00" over to the next day.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59) return undefined;
  const date = new Date((value as string).toUpperCase().replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseExplanationUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a RenewalInfo body, e.g.
 * `{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"https://ca.test/why"}`.
 * A window whose end is not after its start is invalid (RFC 9773 §4.2: "clients MUST treat one as
 * though they failed to receive any response").
 * @throws {AcmeError} ACME_PROBLEM (retryable) naming `url`
 */
export function parseRenewalInfo(data: unknown, url: string, retryAfterMs: number | undefined): RenewalInfo {
  const fail = (detail: string): AcmeError =>
    new AcmeError('ACME_PROBLEM', `Cannot read the renewal information at "${url}": ${detail}`, {
      retryable: true,
      retryAfterMs,
    });
  const body = parseBody(data);
  if (typeof body !== 'object' || body === null) throw fail('the answer is not a JSON object');
  const window = (body as { suggestedWindow?: unknown }).suggestedWindow;
  if (typeof window !== 'object' || window === null) throw fail('the answer has no "suggestedWindow" object');
  const { start: rawStart, end: rawEnd } = window as { start?: unknown; end?: unknown };
  const start = parseDate(rawStart);
  const end = parseDate(rawEnd);
  if (start === undefined)
    throw fail(
      `"suggestedWindow.start" is not an RFC 3339 date-time (${sanitizeDetail(JSON.stringify(rawStart) ?? 'undefined')})`,
    );
  if (end === undefined)
    throw fail(
      `"suggestedWindow.end" is not an RFC 3339 date-time (${sanitizeDetail(JSON.stringify(rawEnd) ?? 'undefined')})`,
    );
  if (end.getTime() <= start.getTime()) {
    throw fail(`the window ends ("${end.toISOString()}") before or when it starts ("${start.toISOString()}")`);
  }
  const explanationUrl = parseExplanationUrl((body as { explanationURL?: unknown }).explanationURL);
  return {
    window: { start, end },
    ...(explanationUrl === undefined ? {} : { explanationUrl }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/**
 * GETs `url` without a JWS (RFC 9773 §4.1: RenewalInfo is fetched with a plain GET) and reads
 * the answer. MUST run inside runOperation() so the adapter applies and records.
 * @throws {AcmeHttpError} for an error status (the CA's problem, e.g. a 429 with Retry-After) or a network failure; runOperation() classifies it
 * @throws {AcmeError} for another status than 200 and for an answer that does not parse
 */
export async function fetchRenewalInfo(context: OperationContext, url: string): Promise<RenewalInfo> {
  const response = await acmeLib().axios.get(url, {
    validateStatus: null,
    headers: { Accept: 'application/json' },
  });
  if (response.status === 200) return parseRenewalInfo(response.data, url, context.lastRetryAfterMs);
  const status = response.status;
  throw new AcmeError('ACME_PROBLEM', `Cannot ${context.step}: "${url}" answered HTTP ${status}`, {
    status,
    retryAfterMs: context.lastRetryAfterMs,
    retryable: status >= 500 || status === 429,
  });
}
