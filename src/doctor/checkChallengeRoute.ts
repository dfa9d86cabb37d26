import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';

/** What probeChallengeRoute() saw. */
export type ChallengeProbe =
  | { kind: 'skipped'; reason: string }
  | { kind: 'answered'; url: string; host: string }
  | { kind: 'responder-unavailable'; error: string; responder: string }
  | { kind: 'failed'; error: string; responder: string };

const ID = 'challenge-route';
const TITLE = 'acme-challenge route through HAProxy';

/** Evaluates the probe of `/.well-known/acme-challenge/` through HAProxy's HTTP frontend (pure). */
export function checkChallengeRoute(probe: ChallengeProbe): DoctorCheck {
  switch (probe.kind) {
    case 'skipped':
      return skipped(ID, TITLE, probe.reason);
    case 'answered':
      return passed(ID, TITLE, `${probe.url} with Host "${probe.host}" answered the probe token`);
    case 'responder-unavailable':
      return problem(ID, TITLE, {
        status: 'fail',
        detail: `cannot start the responder: ${probe.error}`,
        fix: `Free ${probe.responder} (another acme command may be running: try again when it ends), or change --http-port and HAProxy's route together`,
      });
    case 'failed':
      return problem(ID, TITLE, {
        status: 'fail',
        detail: probe.error,
        fix: `Route /.well-known/acme-challenge/ in HAProxy's HTTP frontend to the responder on ${probe.responder}, before any redirect to HTTPS (see docs/haproxy.md)`,
      });
  }
}
