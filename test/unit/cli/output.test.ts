import { Writable } from 'node:stream';
import { JSON_SCHEMA_VERSION, printJson, writeJson } from '../../../src/cli/_output';

/** A stdout that records each write; with `slow`, it takes a write only on a later turn (a pipe to a slow reader). */
class RecordingStdout extends Writable {
  readonly writes: string[] = [];
  /** Most bytes stdout held at once, not yet taken. */
  maxBuffered = 0;

  constructor(options: { slow?: boolean; takeLimit?: number } = {}) {
    super({
      highWaterMark: 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
        this.writes.push(chunk.toString('utf8'));
        if (options.takeLimit !== undefined && this.writes.length >= options.takeLimit) {
          this.destroy();
          return;
        }
        if (options.slow === true) setImmediate(callback);
        else callback();
      },
    });
  }

  text(): string {
    return this.writes.join('');
  }
}

/** What printJson() and writeJson() must print, byte for byte. */
function expected(document: Record<string, unknown>): string {
  return `${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...document }, null, 2)}\n`;
}

const manyRows = Array.from({ length: 500 }, (_, index) => ({
  name: `site-${String(index).padStart(5, '0')}.example.test`,
  domains: [`site-${index}.example.test`, `www.site-${index}.example.test`],
  nextRenewal: { at: '2027-02-02T10:26:14.333Z', due: false, detail: 'one third of the lifetime left' },
  lastError: index % 7 === 0 ? { message: 'urn:ietf:params:acme:error:rateLimited\n  try later' } : null,
  hooks: [],
}));

const DOCUMENTS: Array<[string, Record<string, unknown>]> = [
  ['an empty document', {}],
  ['scalars', { ok: true, count: 3, ratio: 0.5, none: null, text: 'plain' }],
  ['an empty array', { ok: true, certificates: [] }],
  ['an empty array followed by more members', { certificates: [], lego: { notAdopted: [] } }],
  ['an array of scalars', { serials: ['01', 2, true, null] }],
  ['nested objects and arrays in elements', { rows: [{ a: { b: [{ c: [] }, [1, [2, {}]]] } }, [], {}] }],
  [
    'strings with line breaks, indentation-like text, quotes and unicode',
    { rows: [{ m: 'line\n  line\r\n\t"quoted" \\ back' }, 'é€😀 \u2028 \u0000', '\ud800 lone surrogate'] },
  ],
  ['keys that need escaping', { 'a"b': 1, 'line\nbreak': [{ 'k\\': 'v' }], '': 'empty key' }],
  [
    'undefined, functions and symbols: members dropped, array elements null',
    {
      gone: undefined,
      fn: () => 1,
      sym: Symbol('s'),
      rows: [undefined, () => 2, Symbol('t'), { kept: 1, dropped: undefined }],
      after: 'x',
    },
  ],
  ['only members that are dropped', { gone: undefined }],
  ['a member dropped before the first kept one', { gone: undefined, ok: false }],
  [
    'Dates and other toJSON values, at the top and inside arrays',
    {
      at: new Date('2026-12-05T10:26:15.000Z'),
      rows: [new Date(0), { when: new Date(1) }],
      custom: { toJSON: () => [1] },
    },
  ],
  ['numbers JSON cannot write', { rows: [Number.NaN, Number.POSITIVE_INFINITY, -0], nan: Number.NaN }],
  ['a document longer than many chunks', { ok: true, certificates: manyRows, lego: { accountNotAdopted: null } }],
];

describe('printJson()', () => {
  test.each(DOCUMENTS)('prints %s exactly as JSON.stringify(document, null, 2)', (_name, document) => {
    const stdout = new RecordingStdout();
    printJson(stdout, document);
    expect(stdout.text()).toBe(expected(document));
  });

  test('printJson() hands stdout the text of 500 rows in writes of at most 8 KiB and one row', () => {
    const stdout = new RecordingStdout();
    printJson(stdout, { certificates: manyRows });
    const longestRow = Math.max(...manyRows.map((row) => JSON.stringify(row, null, 2).length));
    expect(stdout.writes.length).toBeGreaterThan(10);
    expect(Math.max(...stdout.writes.map((write) => write.length))).toBeLessThanOrEqual(8192 + longestRow + 16);
  });
});

describe('writeJson()', () => {
  test.each(DOCUMENTS)('writes %s exactly as JSON.stringify(document, null, 2)', async (_name, document) => {
    const stdout = new RecordingStdout({ slow: true });
    await writeJson(stdout, document);
    expect(stdout.text()).toBe(expected(document));
  });

  test('writeJson() waits for a slow stdout, which never holds more than one chunk', async () => {
    const stdout = new RecordingStdout({ slow: true });
    await writeJson(stdout, { certificates: manyRows });
    expect(stdout.writes.length).toBeGreaterThan(10);
    expect(stdout.maxBuffered).toBeLessThanOrEqual(8192 + 2048);
  });

  test('writeJson() stops without an error, and serialises no further rows, once stdout is destroyed', async () => {
    const stdout = new RecordingStdout({ slow: true, takeLimit: 2 });
    let serialised = 0;
    const rows = manyRows.map((row) => ({
      toJSON: () => {
        serialised += 1;
        return row;
      },
    }));
    await expect(writeJson(stdout, { certificates: rows })).resolves.toBeUndefined();
    expect(stdout.writes).toHaveLength(2);
    expect(serialised).toBeLessThan(manyRows.length);
  });
});
