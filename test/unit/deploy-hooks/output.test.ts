import {
  MAX_HOOK_LINE_CHARS,
  MAX_HOOK_OUTPUT_BYTES,
  OutputLines,
  outputBudget,
} from '../../../src/deploy-hooks/_output';
import { certs } from '../../fixtures/certs';

/** Feeds `chunks` to one OutputLines and returns what it emitted. */
function linesOf(chunks: (string | Buffer)[], budgetBytes?: number): string[] {
  const lines: string[] = [];
  const output = new OutputLines((line) => lines.push(line), outputBudget(budgetBytes));
  for (const chunk of chunks) output.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  output.end();
  return lines;
}

test('outputBudget() defaults to 64 KiB and a line to 1000 characters', () => {
  expect([MAX_HOOK_OUTPUT_BYTES, MAX_HOOK_LINE_CHARS]).toEqual([65536, 1000]);
  expect(outputBudget()).toEqual({ remainingBytes: 65536, truncated: false });
});

const euro = Buffer.from('€');

test.each<[string, (string | Buffer)[], string[]]>([
  ['splits lines across chunks', ['one\ntw', 'o\nthr', 'ee'], ['one', 'two', 'three']],
  ['drops CR of CRLF and blank lines', ['a\r\n\r\n  \nb\r\n'], ['a', 'b']],
  ['decodes a UTF-8 character split across chunks', [euro.subarray(0, 1), euro.subarray(1), Buffer.from('\n')], ['€']],
  ['caps a long line', [`${'y'.repeat(1500)}\nshort\n`], [`${'y'.repeat(1000)} [line truncated]`, 'short']],
  ['keeps a line of exactly 1000 characters', [`${'z'.repeat(1000)}\n`], ['z'.repeat(1000)]],
  [
    'replaces a PEM private key with one line',
    [`before\n${certs.ecLeafKey}after\n`],
    ['before', '[redacted PRIVATE KEY]', 'after'],
  ],
  [
    'replaces a key split across chunks',
    ['x\n-----BEGIN RSA PRIV', 'ATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\ny\n'],
    ['x', '[redacted PRIVATE KEY]', 'y'],
  ],
  ['replaces an encrypted key', [certs.encryptedKey], ['[redacted PRIVATE KEY]']],
  [
    'drops everything after a key that never ends',
    ['-----BEGIN PRIVATE KEY-----\nMIGH\nmore\n'],
    ['[redacted PRIVATE KEY]'],
  ],
  [
    'keeps certificates (they are public)',
    ['-----BEGIN CERTIFICATE-----\nMIIB\n'],
    ['-----BEGIN CERTIFICATE-----', 'MIIB'],
  ],
])('OutputLines %s', (_name, chunks, expected) => {
  expect(linesOf(chunks)).toEqual(expected);
});

test('OutputLines stops at the budget, flushes the cut line and says so once', () => {
  expect(linesOf(['aaaa\nbbbb\ncc', 'cc\ndddd\n', 'eeee\n'], 12)).toEqual(['aaaa', 'bbbb', 'cc', '[output truncated]']);
});

test('OutputLines shares one budget between stdout and stderr', () => {
  const lines: string[] = [];
  const budget = outputBudget(11);
  const stdout = new OutputLines((line) => lines.push(`out: ${line}`), budget);
  const stderr = new OutputLines((line) => lines.push(`err: ${line}`), budget);
  stdout.write(Buffer.from('12345\n'));
  stderr.write(Buffer.from('678\n'));
  stdout.write(Buffer.from('90abc\n'));
  stderr.write(Buffer.from('lost\n'));
  stdout.end();
  stderr.end();
  expect(lines).toEqual(['out: 12345', 'err: 678', 'out: 9', 'out: [output truncated]']);
  expect(budget).toEqual({ remainingBytes: 0, truncated: true });
});
