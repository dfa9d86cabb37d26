import type { Http01ResponderMode, ResponderChallengeType } from '../challenge';
import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';

/**
 * Why a probe failed: `route` (HAProxy answered, but not with the probe's answer), `unreachable`
 * (nothing answered at the --preflight URL: connection refused, no route), `preflight-url` (the
 * URL cannot check this challenge type), `publish` (shared mode: the probe token could not be
 * written to the shared token table) or `account` (stateless mode: the stored account could not
 * be read).
 */
export type ChallengeProbeFailure = 'route' | 'unreachable' | 'preflight-url' | 'publish' | 'account';

/**
 * What probeChallengeRoute() saw; `challengeType` defaults to `http-01`, `mode` (who answers
 * HTTP-01, `--http01-mode`) to `local`. In stateless mode `thumbprint` is the stored account's,
 * the one HAProxy must answer with.
 */
export type ChallengeProbe = { challengeType?: ResponderChallengeType; mode?: Http01ResponderMode } & (
  | { kind: 'skipped'; reason: string }
  | { kind: 'answered'; url: string; host: string; thumbprint?: string }
  | { kind: 'responder-unavailable'; error: string; responder: string }
  | { kind: 'failed'; error: string; responder: string; cause?: ChallengeProbeFailure; thumbprint?: string }
  | { kind: 'no-account'; directoryUrl: string }
);

const ID = 'challenge-route';
const TITLES: Record<ResponderChallengeType, string> = {
  'http-01': 'acme-challenge route through HAProxy',
  'tls-alpn-01': 'acme-tls/1 route through HAProxy',
};

const ALTERNATIVE =
  'if port 80 cannot be opened, validate on port 443 instead: --challenge-type tls-alpn-01 (snap: acme-challenge-type=tls)';

type FailedProbe = Extract<ChallengeProbe, { kind: 'failed' }>;

const STATELESS_LINES =
  'the lines "acme haproxy-config --http01-mode stateless" prints, first in the HTTP frontend of every node, then reload HAProxy';

/** Stateless mode: HAProxy itself answers `<token>.<thumbprint>`; no responder is involved. */
function statelessFix(probe: FailedProbe): string {
  if (probe.cause === 'account')
    return 'Make the store readable (see the other checks and the message), then run acme doctor again';
  if (probe.cause === 'unreachable')
    return `Make HAProxy's HTTP frontend listen at the --preflight URL, with ${STATELESS_LINES}`;
  const expected = probe.thumbprint === undefined ? '' : ` (thumbprint ${probe.thumbprint})`;
  return `HAProxy must answer <token>.<thumbprint> of the stored account${expected}; an old thumbprint (after "acme account rollover") or lines of another account fail every validation: re-install ${STATELESS_LINES}`;
}

/** Shared mode: the token is in the shared table; the responder of `acme daemon` on this node answers it. */
function sharedFix(probe: FailedProbe): string {
  if (probe.cause === 'publish')
    return 'Make the shared store reachable (see the shared store checks), then run acme doctor again';
  const daemon = `"acme daemon" must run on this node: its store follower ("acme sync --follow") keeps the responder on ${probe.responder} that answers tokens from the shared table`;
  if (probe.cause === 'unreachable')
    return `Make HAProxy's HTTP frontend listen at the --preflight URL and route /.well-known/acme-challenge/ to ${probe.responder}; ${daemon}`;
  return `${daemon}; HAProxy must route /.well-known/acme-challenge/ there, before any redirect to HTTPS ("acme haproxy-config --http01-mode shared" prints the route)`;
}

function failedFix(probe: FailedProbe, challengeType: ResponderChallengeType): string {
  if (challengeType === 'http-01' && probe.mode === 'stateless') return statelessFix(probe);
  if (challengeType === 'http-01' && probe.mode === 'shared') return sharedFix(probe);
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

function answeredDetail(
  probe: Extract<ChallengeProbe, { kind: 'answered' }>,
  challengeType: ResponderChallengeType,
): string {
  if (challengeType === 'tls-alpn-01')
    return `a TLS-ALPN-01 handshake with ${probe.url} for "${probe.host}" got the probe's certificate`;
  const answered = `${probe.url} with Host "${probe.host}" answered`;
  if (probe.mode === 'stateless')
    return `${answered} <token>.<thumbprint> of the stored account (thumbprint ${probe.thumbprint ?? 'unknown'}), from HAProxy itself`;
  if (probe.mode === 'shared') return `${answered} the probe token published in the shared token table`;
  return `${answered} the probe token`;
}

/** Evaluates the probe of the challenge route through HAProxy, for the configured challenge type (pure). */
export function checkChallengeRoute(probe: ChallengeProbe): DoctorCheck {
  const challengeType = probe.challengeType ?? 'http-01';
  const title = TITLES[challengeType];
  switch (probe.kind) {
    case 'skipped':
      return skipped(ID, title, probe.reason);
    case 'answered':
      return passed(ID, title, answeredDetail(probe, challengeType));
    case 'no-account':
      return problem(ID, title, {
        status: 'fail',
        detail: `no ACME account for "${probe.directoryUrl}" is stored, so HAProxy (--http01-mode stateless) has no thumbprint to answer with`,
        fix: `Run "acme account register --http01-mode stateless" (same --directory and --storage), then "acme haproxy-config --http01-mode stateless" and put its lines into haproxy.cfg, first in the HTTP frontend of every node`,
      });
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
