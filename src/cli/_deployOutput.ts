import type { EndpointOutcome } from '../issuance';
import { formatTable } from './_output';

const OUTCOME_TEXT: Record<EndpointOutcome['outcome'], string> = {
  unchanged: 'already serving it',
  swapped: 'swapped live (set + commit ssl cert)',
  added: 'added live (new ssl cert + add ssl crt-list)',
  reloaded: 'reloaded (fallback)',
  'dry-run': 'dry run: accepted, then aborted',
  pending: 'PENDING',
};

/** The per-endpoint table printed after a deploy. */
export function formatOutcomes(name: string, outcomes: EndpointOutcome[]): string {
  if (outcomes.length === 0) return '';
  return formatTable(
    ['CERTIFICATE', 'ENDPOINT', 'SERIAL', 'RESULT'],
    outcomes.map((o) => [
      name,
      o.endpoint,
      o.serial,
      o.error === undefined ? OUTCOME_TEXT[o.outcome] : `${OUTCOME_TEXT[o.outcome]}: ${o.error}`,
    ]),
  );
}

/** True when any endpoint still waits for the certificate. */
export function hasPending(outcomes: EndpointOutcome[]): boolean {
  return outcomes.some((o) => o.outcome === 'pending');
}
