/**
 * Shared pieces of the property tests: hostile strings, and the check that a
 * rejection is a typed AppError whose message follows the house style.
 */
import fc from 'fast-check';
import { AppError } from '../../../src/errors';

/** Raw C0/C1 controls other than the newline that separates the lines of a multi-setting message. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/**
 * Why `message` breaks the house style (STYLE.md §3), or undefined: non-empty, every line starts with
 * an upper-case letter, no final period, no raw control character (values are quoted with escapes).
 */
export function houseStyleProblem(message: string): string | undefined {
  if (message.trim() === '') return 'the message is empty';
  if (RAW_CONTROL.test(message)) return 'the message contains a raw control character';
  for (const line of message.split('\n')) {
    if (!/^[A-Z]/.test(line))
      return `a line does not start with a capital letter: ${JSON.stringify(line.slice(0, 80))}`;
    if (/[^.]\.$/.test(line)) return `a line ends with a period: ${JSON.stringify(line.slice(-80))}`;
  }
  return undefined;
}

/**
 * Why `error` is not an acceptable rejection, or undefined: it must be an instance of an AppError
 * subclass (not AppError itself, not a TypeError) with a house-style message.
 */
export function rejectionProblem(error: unknown): string | undefined {
  if (!(error instanceof AppError)) return `not an AppError: ${String(error)}`;
  if (Object.getPrototypeOf(error) === AppError.prototype) return 'a bare AppError, not a subclass';
  return houseStyleProblem(error.message);
}

/** Characters a hostile value likes: controls, bidi overrides, zero-width, NUL, quotes, separators. */
const NASTY = [
  '\0',
  '\n',
  '\r',
  '\t',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200e',
  '\u202e',
  '\u2028',
  '\ufeff',
  '\ud800',
  '"',
  "'",
  '\\',
  '`',
  '$(id)',
  ';',
  '|',
  ',',
  ' ',
  '=',
  '%',
  '@',
  ':',
  '[',
  ']',
  '/',
  '..',
  '*',
];

/** Values that look like something else: options, numbers in other notations, paths, URLs, addresses. */
const LOOKALIKES = [
  '',
  ' ',
  '-',
  '--',
  '-d',
  '--help',
  '--version',
  '-h',
  '-V',
  '--json',
  '--domain=',
  '-vq',
  'NaN',
  'Infinity',
  '1e3',
  '-1',
  '0x10',
  '0',
  '65536',
  '99999999999999999999',
  '1.5',
  'true',
  'yes',
  'null',
  'undefined',
  '{}',
  '[]',
  '__proto__',
  'constructor',
  '*.example.com',
  'example.com',
  'localhost',
  '127.0.0.1',
  '::1',
  '[::1]:80',
  'unix:/x',
  'unix@',
  'ipv4@1.2.3.4:0',
  'abns@x',
  '/',
  '/etc/passwd',
  '../../etc',
  'https://user:pw@ca.example/dir',
  'http://10.0.0.1/',
  'file:///etc/passwd',
  'letsencrypt',
];

/** One hostile string: arbitrary unicode (lone surrogates included), nasty characters, look-alikes, or huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...NASTY, 'a', 'Z', '0', '.', '-'), maxLength: 12 }), weight: 4 },
  { arbitrary: fc.constantFrom(...LOOKALIKES), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  {
    arbitrary: fc
      .integer({ min: 4_100, max: 20_000 })
      .chain((n) => fc.constantFrom('a', '-', '\u00e9', '\u0000', '.').map((c) => c.repeat(n))),
    weight: 1,
  },
);

/** The outcome of a call, so that a property can assert on it without an `expect` inside a `catch`. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` and returns its value or what it threw. */
export function settle<T>(fn: () => T): Settled<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Awaits `fn` and returns its value or its rejection. */
export async function settleAsync<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** rejectionProblem(), plus the check that the error is an instance of `type`. */
export function typedRejectionProblem(
  error: unknown,
  type: abstract new (...args: never[]) => Error,
): string | undefined {
  return error instanceof type ? rejectionProblem(error) : `not a ${type.name}: ${String(error)}`;
}
