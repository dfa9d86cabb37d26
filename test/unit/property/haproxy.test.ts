/**
 * Properties of the HAProxy reply handling, on generated garbage and on mutated
 * transcripts captured from HAProxy 2.6.12: classifyReply() returns a known outcome or throws a
 * house-style HaproxyError that keeps the raw reply; the parsers never throw and return well-formed
 * values (strings, safe integers) or undefined.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { HaproxyError } from '../../../src/errors';
import {
  classifyReply,
  commandLine,
  parseReloadReply,
  parseShowInfo,
  parseShowProc,
  parseShowSslCert,
  parseShowSslCertList,
  parseShowSslCrtList,
  parseShowSslCrtLists,
  type ReplyOutcome,
} from '../../../src/haproxy';
import { replyExcerpt } from '../../../src/haproxy/_reply';
import { transcript, TRANSCRIPT_VERSION } from '../../fixtures/haproxy';
import { hostileString, settle, typedRejectionProblem } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
const RUNS = 10_000;
const SEED = Number(process.env.FC_SEED ?? 20261127);

const NAMES = readdirSync(join(__dirname, '..', '..', 'fixtures', 'haproxy', TRANSCRIPT_VERSION))
  .filter((file) => file.endsWith('.txt'))
  .map((file) => file.slice(0, -'.txt'.length));
const TRANSCRIPTS = NAMES.map((name) => transcript(name));

const FRAGMENTS = [
  '[3]: ',
  '[5]: ',
  '[9]: ',
  '[0]: ',
  '[]: ',
  '\n',
  '\r\n',
  '\0',
  'Success!',
  'Transaction created for certificate /a.pem!',
  "Transaction aborted for certificate '/a.pem'!",
  "New empty certificate store '/a.pem'!",
  "Certificate '/a.pem' deleted!",
  'No ongoing transaction!',
  "Can't commit /a.pem!",
  'Permission denied',
  'Unknown command',
  'Operations on certificates are currently locked!',
  'Filename: ',
  'Serial: ',
  'Subject Alternative Name: ',
  'Chain Subject: ',
  'SHA1 FingerPrint: ',
  '# transaction',
  '# filename',
  '*',
  '12345 master 2 [failed: 1] ',
  '999999999999999999999999 worker 1 ',
  'Version: ',
  'Success=1\n--\n',
  'Success=0',
  ':',
  ' [',
  ']',
  '\u001b[2J',
  '"',
  '\u202e',
  '\ud800',
];

const garbage: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), hostileString), { maxLength: 12 }).map((parts) => parts.join('')),
);

type Mutation = (text: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), garbage).map(
    ([at, junk]): Mutation =>
      (t) =>
        t.slice(0, at % (t.length + 1)) + junk + t.slice(at % (t.length + 1)),
  ),
  fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(
    ([at, n]): Mutation =>
      (t) =>
        t.slice(0, at % (t.length + 1)) + t.slice((at % (t.length + 1)) + n),
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) =>
        t.slice(0, at % (t.length + 1)),
  ),
  fc.nat().map((at): Mutation => (t) => {
    const lines = t.split('\n');
    const i = at % lines.length;
    return [...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)].join('\n');
  }),
  fc.constantFrom<Mutation>(
    (t) => t.replace(/\d+/g, '9'.repeat(40)),
    (t) => t.replace(/\[(\d)\]: /g, '[1]: '),
    (t) => t.replace(/\[(\d)\]: /g, ''),
    (t) => t.replace(/\n/g, '\r\n'),
    (t) => t.replace(/ /g, '\t'),
    (t) => t.replace(/: /g, ':'),
    (t) => t.toUpperCase(),
    (t) => t.split('\n').reverse().join('\n'),
    (t) => t.repeat(50),
  ),
);

const mutated: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...TRANSCRIPTS), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([text, steps]) => steps.reduce((out, step) => step(out), text));

const reply: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: mutated, weight: 3 },
  { arbitrary: garbage, weight: 2 },
  { arbitrary: fc.constantFrom(...TRANSCRIPTS), weight: 1 },
);

/** Commands as RuntimeClient sends them (escaped), for real and hostile certificate paths. */
const command: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      'set ssl cert',
      'commit ssl cert',
      'abort ssl cert',
      'new ssl cert',
      'del ssl cert',
      'show ssl cert',
      'add ssl crt-list',
      'show info',
    ),
    // escapeArgument() refuses "", NUL and line breaks with a ConfigError before anything is sent.
    fc.oneof(
      fc.constantFrom('/srv/hap/certs/a.pem', '/srv/hap/crt-list.txt'),
      hostileString.map((path) => `/${path.replace(/[\0\r\n]/g, '')}`),
    ),
  )
  .map(([words, path]) => commandLine(words, path));

const OUTCOMES: readonly ReplyOutcome[] = [
  'success',
  'transaction-created',
  'transaction-updated',
  'transaction-aborted',
  'certificate-created',
  'certificate-deleted',
  'output',
];
const isSafeCount = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;

describe('HAProxy reply handling on generated and mutated replies', () => {
  test(
    `classifyReply() returns a known outcome or throws a house-style HaproxyError (${RUNS} cases)`,
    () => {
      const outcomes = { classified: 0, thrown: 0 };
      fc.assert(
        fc.property(command, reply, (sent, received) => {
          const outcome = settle(() => classifyReply(sent, received, { endpoint: 'unix@/run/haproxy/admin.sock' }));
          outcomes[outcome.ok ? 'classified' : 'thrown'] += 1;
          expect(
            outcome.ok
              ? OUTCOMES.includes(outcome.value.outcome)
                ? undefined
                : outcome.value.outcome
              : typedRejectionProblem(outcome.error, HaproxyError),
          ).toBeUndefined();
          // The error keeps what was sent and received, for the debug log.
          const kept = outcome.ok
            ? [sent, received]
            : [(outcome.error as HaproxyError).command, (outcome.error as HaproxyError).reply];
          expect(kept).toEqual([sent, received]);
          expect(replyExcerpt(received).length).toBeLessThanOrEqual(300);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect([outcomes.classified > RUNS / 20, outcomes.thrown > RUNS / 20]).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );

  test(
    `the show and reload parsers never throw and return well-formed values (${RUNS} cases)`,
    () => {
      fc.assert(
        fc.property(reply, (received) => {
          const cert = parseShowSslCert(received);
          const strings =
            cert === undefined
              ? []
              : [
                  cert.filename,
                  cert.status,
                  cert.serial,
                  cert.notBefore,
                  cert.notAfter,
                  cert.sha1Fingerprint,
                  cert.subject,
                  cert.issuer,
                  cert.algorithm,
                  ...cert.san,
                  ...cert.chainSubjects,
                ];
          expect(strings.every((s) => typeof s === 'string')).toBe(true);
          const list = parseShowSslCertList(received);
          expect(list.certificates.every((c) => typeof c === 'string' && c !== '')).toBe(true);
          expect(parseShowSslCrtLists(received).every((l) => typeof l === 'string' && l !== '')).toBe(true);
          const entries = parseShowSslCrtList(received);
          expect(
            entries.every((e) => e.path !== '' && !/\s/.test(e.path) && (e.line === undefined || isSafeCount(e.line))),
          ).toBe(true);
          const proc = parseShowProc(received);
          const counts =
            proc === undefined
              ? []
              : [
                  proc.master.pid,
                  proc.master.reloads,
                  ...(proc.master.failed === undefined ? [] : [proc.master.failed]),
                  ...proc.workers.flatMap((w) => [w.pid, w.reloads]),
                ];
          expect(counts.filter((n) => !isSafeCount(n))).toEqual([]);
          const info = parseShowInfo(received);
          expect(info === undefined || typeof info.version === 'string').toBe(true);
          const reload = parseReloadReply(received);
          expect(reload === undefined || (typeof reload.success === 'boolean' && typeof reload.log === 'string')).toBe(
            true,
          );
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );
});
