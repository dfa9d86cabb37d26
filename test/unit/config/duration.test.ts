import { errorOf, resolve } from './_resolve';
import type { ConfigSources, RawFlags } from '../../../src/config';
import { checkDuration, formatDuration } from '../../../src/config/_duration';

const TIMEOUT = 'expected a duration from 1s to 24h, such as "90s", "30m" or "2h" (a number alone is milliseconds)';
const check = checkDuration(1000, 86_400_000);

describe('checkDuration()', () => {
  test.each<[string, number]>([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['24h', 86_400_000],
    ['1s', 1000],
    ['1500ms', 1500],
    ['1500', 1500],
    ['1000', 1000],
    ['86400000', 86_400_000],
    ['  5m  ', 300_000],
    ['5M', 300_000],
    ['10S', 10_000],
    ['007s', 7000],
    ['1440m', 86_400_000],
  ])('checkDuration() reads %j as %d ms', (input, ms) => {
    expect(check(input)).toEqual({ ok: true, value: ms });
  });

  test.each<[string]>([
    [''],
    ['   '],
    ['999'],
    ['999ms'],
    ['0'],
    ['0s'],
    ['25h'],
    ['86400001'],
    ['1d'],
    ['1.5h'],
    ['-5m'],
    ['+5m'],
    ['1e3'],
    ['5 m'],
    ['5m30s'],
    ['m'],
    ['30min'],
    ['0x10s'],
    ['５m'],
    ['5m\n1h'],
    ['9999999999s'],
    ['Infinity'],
    ['NaN'],
  ])('checkDuration() refuses %j', (input) => {
    expect(check(input)).toEqual({ ok: false, detail: TIMEOUT });
  });
});

describe('formatDuration()', () => {
  test.each<[number, string]>([
    [1000, '1s'],
    [1500, '1500ms'],
    [90_000, '90s'],
    [1_800_000, '30m'],
    [5_400_000, '90m'],
    [86_400_000, '24h'],
    [0, '0ms'],
  ])('formatDuration(%d) is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('resolveConfig() timeoutMs: flag > env > snap > default', () => {
  test.each<[RawFlags, Record<string, string>, Record<string, unknown>, number]>([
    [{ timeout: '2s' }, { ACME_TIMEOUT: '1h' }, { 'acme-timeout': '10m' }, 2000],
    [{}, { ACME_TIMEOUT: '1h' }, { 'acme-timeout': '10m' }, 3_600_000],
    [{}, { ACME_TIMEOUT: '  ' }, { 'acme-timeout': '10m' }, 600_000],
    [{}, {}, { 'acme-timeout': 5000 }, 5000],
    [{}, {}, {}, 1_800_000],
  ])('resolveConfig() picks timeoutMs from flags %j, env %j, snap %j', (flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap }).timeoutMs).toBe(expected);
  });

  test.each<[Partial<ConfigSources>, string, string]>([
    [{ flags: { timeout: '0' } }, `Invalid --timeout "0": ${TIMEOUT}`, '--timeout'],
    [{ flags: { timeout: 'forever' } }, `Invalid --timeout "forever": ${TIMEOUT}`, '--timeout'],
    [{ env: { ACME_TIMEOUT: '2d' } }, `Invalid ACME_TIMEOUT "2d": ${TIMEOUT}`, 'ACME_TIMEOUT'],
    [
      { snap: { 'acme-timeout': 1.5 } },
      `Invalid snap option acme-timeout "1.5": ${TIMEOUT}`,
      'snap option acme-timeout',
    ],
    [
      { snap: { 'acme-timeout': ['30m'] } },
      'Invalid snap option acme-timeout: expected text, a number or true/false',
      'snap option acme-timeout',
    ],
  ])('resolveConfig() refuses %j', (sources, message, source) => {
    const error = errorOf(sources);
    expect([error.message, error.source]).toEqual([message, source]);
  });
});
