import type { ResponderChallengeType } from '../challenge';
import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';

/**
 * Why a probe failed: `route` (HAProxy answered, but not with the probe's answer), `unreachable`
 * (nothing answered at the --preflight URL: connection refused, no route) or `preflight-url` (the
 * URL cannot check this challenge type).
 */
export type ChallengeProbeFailure = 'route' | 'unreachable' | 'preflight-url';

/** What probeChallengeRoute() saw; `challengeType` defaults to `http-01`. */
export type ChallengeProbe = { challengeType?: ResponderChallengeType } & (
  | { kind: 'skipped'; reason: string }
  | { kind: 'answered'; url: string; host: string }
  | { kind: 'responder-unavailable'; error: string; responder: string }
  | { kind: 'failed'; error: string; responder: string; cause?: ChallengeProbeFailure }
);

const ID = 'challenge-route';
const TITLES: Record<ResponderChallengeType, string> = {
  'http-01': 'acme-challenge route through HAProxy',
  'tls-alpn-01': 'acme-tls/1 route through HAProxy',
};

const ALTERNATIVE =
  'if port 80 cannot be opened, validate on port 443 instead: --challenge-type tls-alpn-01 (snap: acme-challenge-type=tls)';

function failedFix(probe: Extract<ChallengeProbe, { kind: 'failed' }>, challengeType: ResponderChallengeType): string {
  if (challengeType === 'tls-alpn-01') {
    if (probe.cause === 'preflight-url')
      return "Pass HAProxy's HTTPS frontend as --preflight, e.g. --preflight https://127.0.0.1:443";
    return `Send ALPN acme-tls/1 on HAProxy's port 443 to the responder on ${probe.responder} in a TCP frontend, ahead of the HTTPS one (see docs/haproxy.md, or "acme haproxy-config --challenge-type tls-alpn-01")`;
  }
  if (probe.cause === 'unreachable') {
    return `Make HAProxy's HTTP frontend listen at the --preflight URL and route /.well-known/acme-challenge/ to the responder on ${probe.responder}; ${ALTERNATIVE}`;
  }
  return `Route /.well-known/acme-challenge/ in HAProxy's HTTP frontend to the responder on ${probe.responder}, before any redirect to HTTPS (see docs/haproxy.md)`;
}

/** Evaluates the probe of the challenge route through HAProxy, for the configured challenge type (pure). */
export function checkChallengeRoute(probe: ChallengeProbe): DoctorCheck {
  const challengeType = probe.challengeType ?? 'http-01';
  const title = TITLES[challengeType];
  switch (probe.kind) {
    case 'skipped':
      return skipped(ID, title, probe.reason);
    case 'answered':
      return passed(
        ID,
        title,
        challengeType === 'tls-alpn-01'
          ? `a TLS-ALPN-01 handshake with ${probe.url} for "${probe.host}" got the probe's certificate`
          : `${probe.url} with Host "${probe.host}" answered the probe token`,
      );
    case 'responder-unavailable':
      return problem(ID, title, {
        status: 'fail',
        detail: `cannot start the responder: ${probe.error}`,
        fix: `Free ${probe.responder} (another acme command may be running: try again when it ends), or change --http-port and HAProxy's route together`,
      });
    case 'failed':
      return problem(ID, title, { status: 'fail', detail: probe.error, fix: failedFix(probe, challengeType) });
  }
}
