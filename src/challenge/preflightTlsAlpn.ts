import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { ChallengeError } from '../errors';
import { acmeIdentifierExtension, sniNameOf } from './_alpnCertificate';
import type { PreflightOptions } from './preflightChallenge';
import { ACME_TLS_ALPN_PROTOCOL } from './TlsAlpnChallengeServer';

/** Errors that mean the TCP connection was never made. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What to check: the identifier (an IP literal for RFC 8738) and the key authorization it proves. */
export interface TlsAlpnPreflightTarget {
  domain: string;
  keyAuthorization: string;
}

type Outcome =
  | { kind: 'handshake'; alpn: string | false; certificate: Buffer | undefined }
  | { kind: 'error'; error: NodeJS.ErrnoException; connected: boolean }
  | { kind: 'timeout' };

/** One TLS handshake as the CA makes it: SNI = the identifier, ALPN = only acme-tls/1; never rejects. */
function handshake(host: string, port: number, servername: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
      socket.destroy();
    };
    // The certificate is self-signed by design (RFC 8737 §3): compared below, never trusted.
    const socket = connect({
      host,
      port,
      servername,
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    socket.once('connect', () => (connected = true));
    socket.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'error', error, connected }));
    socket.once('secureConnect', () => {
      const peer: PeerCertificate | undefined = socket.getPeerCertificate();
      settle({ kind: 'handshake', alpn: socket.alpnProtocol ?? false, certificate: peer?.raw });
    });
  });
}

function describeFailure(
  outcome: Outcome,
  expected: Buffer,
  where: string,
  timeoutMs: number,
  hint: string,
): string | undefined {
  switch (outcome.kind) {
    case 'timeout':
      return `timed out after ${timeoutMs} ms; ${hint}`;
    case 'error': {
      const code = outcome.error.code ?? 'error';
      if (!outcome.connected && CONNECT_ERROR_CODES.has(code)) {
        return `could not connect to ${where} (${code})${code === 'ECONNREFUSED' ? "; is HAProxy's port 443 frontend listening there?" : ''}`;
      }
      return `failed: ${outcome.error.message.slice(0, 200)}; ${hint}`;
    }
    case 'handshake':
      if (outcome.alpn !== ACME_TLS_ALPN_PROTOCOL)
        return `completed a handshake without ALPN ${ACME_TLS_ALPN_PROTOCOL}, so the HTTPS frontend answered; ${hint}`;
      if (outcome.certificate === undefined || !outcome.certificate.includes(expected)) {
        return "presented a certificate without this challenge's acmeIdentifier; another responder may be answering this route";
      }
      return undefined;
  }
}

/**
 * Makes the TLS-ALPN-01 handshake through the local HAProxy HTTPS frontend exactly as the CA will
 * (SNI, only ALPN `acme-tls/1`; RFC 8737 §3), and checks that the certificate that comes back holds
 * this key authorization's acmeIdentifier, so a broken route fails here instead of spending a CA
 * validation. `options.baseUrl` is the frontend as `https://HOST[:PORT]` (default port 443); an
 * `http://` URL is refused, since it names the port 80 frontend this challenge does not use.
 * Neither the key authorization nor its digest ever appear in the error.
 * @throws ChallengeError CHALLENGE_PREFLIGHT
 */
export async function preflightTlsAlpn(target: TlsAlpnPreflightTarget, options: PreflightOptions): Promise<void> {
  const { domain, keyAuthorization } = target;
  const timeoutMs = options.timeoutMs ?? 5000;
  const prefix = `Preflight failed for "${domain}"`;
  const base = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : undefined;
  if (base === undefined || base.protocol !== 'https:') {
    throw new ChallengeError(
      'CHALLENGE_PREFLIGHT',
      `${prefix}: TLS-ALPN-01 is checked with a TLS handshake on the HTTPS frontend, and the preflight URL ${JSON.stringify(options.baseUrl.slice(0, 200))} is not an https URL; pass e.g. --preflight https://127.0.0.1:443, or --preflight off`,
    );
  }
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const port = base.port === '' ? 443 : Number(base.port);
  const servername = sniNameOf(isIP(domain) === 0 ? { type: 'dns', value: domain } : { type: 'ip', value: domain });
  const hint = `check that HAProxy sends ALPN ${ACME_TLS_ALPN_PROTOCOL} on this port to the responder${
    options.responderLabel === undefined ? '' : ` on ${options.responderLabel}`
  }`;
  const outcome = await handshake(host, port, servername, timeoutMs);
  const failure = describeFailure(outcome, acmeIdentifierExtension(keyAuthorization), base.host, timeoutMs, hint);
  if (failure === undefined) {
    options.logger.debug('Preflight passed', { domain, url: base.origin });
    return;
  }
  throw new ChallengeError(
    'CHALLENGE_PREFLIGHT',
    `${prefix}: a TLS-ALPN-01 handshake with ${base.host} and SNI "${servername}" ${failure}`,
    {
      retryable: outcome.kind !== 'handshake',
      cause: outcome.kind === 'error' ? outcome.error : undefined,
    },
  );
}
