/**
 * Property of the crt-list writer: for generated certificate paths, FileCrtList.ensureEntry() either
 * refuses with a house-style StorageError and leaves the file byte-identical, or the file, read the way
 * HAProxy 2.6 reads a crt-list (`crtlist_parse_file()`), holds the lines it held before plus exactly one
 * line per distinct accepted path, whose only token is that path.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StorageError } from '../../../src/errors';
import { FileCrtList } from '../../../src/storage';
import { hostileString, settleAsync, typedRejectionProblem } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
/** Each run writes real files with fsync, so fewer runs than the pure properties. */
const RUNS = 1_000;
const SEED = Number(process.env.FC_SEED ?? 20261127);

/**
 * The lines HAProxy 2.6 loads from a crt-list, each as its tokens (`[` and `]` kept as tokens of their
 * own): a line starting with `#`, LF or CR is skipped, C isspace() separates tokens, `[` and `]` end a
 * token wherever they stand, and a line with nothing left is skipped. A NUL makes HAProxy refuse the file.
 */
function haproxyReads(text: string): string[][] | 'refused' {
  if (text.includes('\0')) return 'refused';
  return text
    .split('\n')
    .filter((line) => !/^[#\r]/.test(line))
    .map((line) =>
      line
        .replace(/[[\]]/g, ' $& ')
        .split(/[ \t\n\v\f\r]+/)
        .filter((token) => token !== ''),
    )
    .filter((tokens) => tokens.length > 0);
}

const VALID = [
  '/srv/acme/haproxy/a.example.pem',
  '/var/snap/haproxy/common/acme/haproxy/_wildcard.b.example.pem',
  '/x',
];
const SAFE_CHARACTER = fc.constantFrom(...'abz019._-/~!%&()*+,:;<=>?@^`{|}'.split(''));
const BAD_CHARACTER = fc.constantFrom(
  ' ',
  '\n',
  '\t',
  '\r',
  '\0',
  '#',
  '"',
  "'",
  '\\',
  '$',
  '[',
  ']',
  '\u00e9',
  '\u2028',
  '\u0085',
  '\u202e',
);

/** Plausible paths (to be accepted, and repeated), and paths with one character HAProxy would misread. */
const entry: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...VALID), weight: 3 },
  { arbitrary: fc.string({ unit: SAFE_CHARACTER, minLength: 1, maxLength: 30 }).map((path) => `/${path}`), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...VALID), fc.nat(), BAD_CHARACTER)
      .map(([path, at, bad]) => path.slice(0, at % path.length) + bad + path.slice(at % path.length)),
    weight: 3,
  },
  { arbitrary: hostileString, weight: 2 },
  { arbitrary: hostileString.map((path) => `/srv/${path}.pem`), weight: 2 },
);

const INITIAL = ['', '/srv/default.pem [alpn h2] default.example\n# comment\n\n', '/srv/no-final-newline.pem'];

describe('FileCrtList.ensureEntry() on generated certificate paths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-crt-list-property-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test(
    `ensureEntry() refuses and leaves the file byte-identical, or adds exactly one line whose only token is the path (${RUNS} cases)`,
    async () => {
      const outcomes = { accepted: 0, refused: 0 };
      const file = join(dir, 'crt-list.txt');
      const list = new FileCrtList(file);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...INITIAL),
          fc.array(entry, { minLength: 1, maxLength: 6 }),
          async (initial, entries) => {
            await writeFile(file, initial);
            const listed: string[] = [];
            for (const path of entries) {
              const before = await readFile(file);
              const known = listed.includes(path);
              const outcome = await settleAsync(() => list.ensureEntry(path));
              outcomes[outcome.ok ? 'accepted' : 'refused'] += 1;
              if (outcome.ok && outcome.value) listed.push(path);
              // Accepted: added the first time only. Refused: a typed, house-style error and not one byte changed.
              const seen = outcome.ok
                ? { added: outcome.value }
                : {
                    problem: typedRejectionProblem(outcome.error, StorageError),
                    unchanged: (await readFile(file)).equals(before),
                  };
              expect(seen).toEqual(outcome.ok ? { added: !known } : { problem: undefined, unchanged: true });
            }
            const text = await readFile(file, 'utf8');
            const kept = haproxyReads(initial);
            expect(text.startsWith(initial)).toBe(true);
            expect(haproxyReads(text)).toEqual(kept === 'refused' ? kept : [...kept, ...listed.map((path) => [path])]);
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
      expect([outcomes.accepted > RUNS / 5, outcomes.refused > RUNS / 5]).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );
});
