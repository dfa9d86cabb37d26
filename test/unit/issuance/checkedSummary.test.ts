/** A renewal pass logs one summary line however many certificates it checked. */
import { checkedSummary } from '../../../src/issuance/renewCertificates';
import type { RenewOutcome } from '../../../src/issuance';

const notDue = (name: string, at: string): RenewOutcome => ({
  name,
  decision: { due: false, reason: 'not-yet', notBefore: new Date(at), detail: 'not yet' },
});

describe('checkedSummary()', () => {
  test.each<[string, RenewOutcome[], Record<string, unknown>]>([
    ['nothing checked', [], { checked: 0, renewed: 0, failed: 0, notDue: 0 }],
    [
      'the earliest of the certificates not due comes next',
      [
        notDue('b.test', '2027-02-01T00:00:00Z'),
        notDue('a.test', '2027-01-10T00:00:00Z'),
        notDue('c.test', '2027-03-01T00:00:00Z'),
      ],
      { checked: 3, renewed: 0, failed: 0, notDue: 3, nextRenewal: { name: 'a.test', at: '2027-01-10T00:00:00.000Z' } },
    ],
    [
      'renewed and failed ones are counted, and are not "next"',
      [
        {
          name: 'r.test',
          decision: { due: true, reason: 'lifetime', detail: 'due' },
          renewed: { serial: '01', notAfter: new Date('2027-04-01T00:00:00Z'), resumed: false },
        },
        { name: 'f.test', decision: { due: true, reason: 'lifetime', detail: 'due' }, error: 'the CA refused' },
        notDue('n.test', '2027-01-20T00:00:00Z'),
      ],
      { checked: 3, renewed: 1, failed: 1, notDue: 1, nextRenewal: { name: 'n.test', at: '2027-01-20T00:00:00.000Z' } },
    ],
  ])('%s', (_what, outcomes, expected) => {
    expect(checkedSummary(outcomes)).toEqual(expected);
  });
});
