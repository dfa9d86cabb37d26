/**
 * Properties of the identifier checks: on generated DNS names (IDNA, punycode,
 * lengths, wildcards anywhere, confusables, control characters) and IP literals (v4 with leading
 * zeros, v6 with zone IDs, brackets, IPv4-mapped), checkDomain() never throws, normaliseDomain()
 * rejects only with a house-style ConfigError, and every accepted name is canonical.
 */
import { isIP } from 'node:net';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { ConfigError } from '../../../src/errors';
import { normaliseDomain } from '../../../src/config';
import { checkDomain, checkName } from '../../../src/config/_domain';
import { hostileString, settle, typedRejectionProblem } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
const RUNS = 12_000;
const SEED = Number(process.env.FC_SEED ?? 20261127);

/** Label characters: ASCII, IDNA-mapped (ß, full-width, Kelvin sign), confusables (Cyrillic а), joiners, controls. */
const LABEL_CHARS = [
  ...'abcxyzABCXYZ0129-',
  '_',
  '*',
  'ä',
  'Ü',
  'ß',
  'ς',
  'İ',
  'ı',
  '\u212a',
  '\u0430',
  '\u03bf',
  '\uff41',
  '\uff10',
  '\u0660',
  '\u06f0',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u00ad',
  '\u0301',
  '\ufe0f',
  '\u3002',
  '\uff0e',
  '\uff61',
  '\u0000',
  '\u0009',
  '\u007f',
  '\u0085',
  '\u202e',
  '\ud83d\ude00',
  ' ',
  '%',
  '/',
  ':',
  '@',
  '[',
];

const label: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: fc.constantFrom(...LABEL_CHARS), minLength: 0, maxLength: 12 }), weight: 6 },
  {
    arbitrary: fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'),
      minLength: 1,
      maxLength: 70,
    }),
    weight: 3,
  },
  {
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), maxLength: 20 })
      .map((s) => `xn--${s}`),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom(
      '*',
      'a*',
      '*b',
      'a*b',
      '**',
      'xn--',
      'xn--4ca',
      'xn--fa-hia',
      'xn--bcher-kva',
      'xn--zz',
      'xn--a',
      '-a',
      'a-',
      '1',
      '123',
      'com',
    ),
    weight: 2,
  },
);

/** Dot separators, including the ones UTS #46 maps to ".". */
const dot = fc.constantFrom('.', '.', '.', '.', '\u3002', '\uff0e', '\uff61', '..');

const dnsName: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.tuple(label, dot), { minLength: 0, maxLength: 6 }),
    label,
    fc.constantFrom('', '.', ' ', '\t', '\n', '..'),
    fc.constantFrom('', ' ', '*.'),
  )
  .map(([parts, last, suffix, prefix]) => `${prefix}${parts.map(([l, d]) => `${l}${d}`).join('')}${last}${suffix}`);

/** Names near the length limits: 253/254 total, 63/64 per label. */
const longName: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 2, maxLength: 6 }), fc.constantFrom('a', 'b', 'ä'))
  .map(([lengths, char]) => [...lengths.map((n) => char.repeat(n)), 'com'].join('.'));

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 999 }).map(String),
  fc.integer({ min: 0, max: 255 }).map((n) => `0${n}`),
  fc.constantFrom('', '0x7f', '-1', '1e2', '00'),
);
const ipv4: fc.Arbitrary<string> = fc.array(octet, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.'));

const group = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
  fc.constantFrom('', '0', '00000', 'FFFF', 'g', 'ffff', '1.2.3.4', '01.2.3.4'),
);
const ipv6: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(group, { minLength: 1, maxLength: 9 }),
    fc.constantFrom(':', ':', '::'),
    fc.constantFrom('', '', '%eth0', '%25eth0', '%', '%1', '%\u0000'),
    fc.constantFrom('', '', '[]', '[', ']'),
    fc.constantFrom('', '', '::ffff:', '::', '::ffff:0:'),
  )
  .map(([groups, separator, zone, brackets, prefix]) => {
    const bare = `${prefix}${groups.join(separator)}${zone}`;
    if (brackets === '[]') return `[${bare}]`;
    return brackets === '[' ? `[${bare}` : `${bare}${brackets}`;
  });

const identifier: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: dnsName, weight: 6 },
  { arbitrary: longName, weight: 2 },
  { arbitrary: ipv4, weight: 2 },
  { arbitrary: ipv6, weight: 3 },
  { arbitrary: hostileString, weight: 2 },
);

const LDH_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why an accepted identifier is not canonical, or undefined. */
function canonicalProblem(value: string): string | undefined {
  if (isIP(value) === 4) return /(^|\.)0[0-9]/.test(value) ? 'IPv4 with a leading zero' : undefined;
  if (isIP(value) === 6) {
    if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(value)) return 'an IPv4-mapped address';
    return new URL(`http://[${value}]/`).hostname === `[${value}]` ? undefined : 'IPv6 not in RFC 5952 form';
  }
  if (value.length > 253) return 'longer than 253';
  const labels = value.split('.');
  if (labels.length < 2) return 'a single label';
  const bad = labels.find((l) => l.length > 63 || !LDH_LABEL.test(l));
  return bad === undefined ? undefined : `label ${JSON.stringify(bad)} is not LDH or too long`;
}

describe('normaliseDomain() and checkDomain() on generated identifiers', () => {
  test(
    `normaliseDomain() accepts only canonical names and rejects with a house-style ConfigError (${RUNS} cases)`,
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(identifier, (input) => {
          const check = checkDomain(input);
          const outcome = settle(() => normaliseDomain(input));
          expect(check.ok).toBe(outcome.ok);
          if (outcome.ok) accepted += 1;
          const problem = outcome.ok
            ? canonicalProblem(outcome.value)
            : typedRejectionProblem(outcome.error, ConfigError);
          expect({ input, problem }).toEqual({ input, problem: undefined });
          // Idempotent: a canonical name normalises to itself.
          expect(outcome.ok ? normaliseDomain(outcome.value) : undefined).toBe(outcome.ok ? outcome.value : undefined);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      // The generators must reach the accepting paths too, or the canonical-form properties prove nothing.
      expect(accepted).toBeGreaterThan(RUNS / 20);
    },
    TIMEOUT_MS,
  );

  test(
    `normaliseDomain() ignores ASCII case and one trailing dot, and punycode round-trips (${RUNS} cases)`,
    () => {
      fc.assert(
        fc.property(fc.oneof(dnsName, longName, ipv6), (input) => {
          const check = checkDomain(input);
          fc.pre(check.ok);
          const value = (check as { value: string }).value;
          // Upper-casing is only neutral for ASCII: "ß".toUpperCase() is "SS", a different name.
          const upper = /^[\x20-\x7e]*$/.test(input) ? input.toUpperCase() : input;
          const dotted = !input.trimEnd().endsWith('.') && isIP(value) === 0 ? `${input.trim()}.` : input;
          const unicode = isIP(value) === 0 ? domainToUnicode(value) : value;
          expect([upper, dotted, unicode].map((variant) => normaliseDomain(variant))).toEqual([value, value, value]);
          expect(value).toBe(value.toLowerCase());
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );

  test(
    `checkName() accepts only lower-case path-safe names, idempotently (${RUNS} cases)`,
    () => {
      fc.assert(
        fc.property(fc.oneof(dnsName, hostileString, longName), (input) => {
          const check = checkName(input);
          const value = check.ok ? check.value : 'rejected';
          expect(check.ok || /^[a-z]/.test(check.detail)).toBe(true);
          expect(
            value === 'rejected' || (/^(_wildcard\.)?[a-z0-9][a-z0-9._-]{0,63}$/.test(value) && !value.includes('..')),
          ).toBe(true);
          // Idempotent: an accepted name is accepted as itself.
          expect(check.ok ? checkName(value) : check).toEqual(check);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    TIMEOUT_MS,
  );
});
