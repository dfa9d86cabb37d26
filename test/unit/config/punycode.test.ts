/**
 * The pure RFC 3492 codec behind the canonical-punycode rule: the RFC's own samples (§7.1), hostile
 * inputs, and round trips. The same answers on every Node version is the point of the module.
 */
import fc from 'fast-check';
import { decodePunycode, encodePunycode } from '../../../src/config/_punycode';

const SEED = Number(process.env.FC_SEED ?? 20261204);
const RUNS = 5_000;

/** RFC 3492 §7.1 sample strings (the ones without case annotations), plus names the domain checks use. */
const SAMPLES: Array<[string, string]> = [
  [
    '\u0644\u064a\u0647\u0645\u0627\u0628\u062a\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064a\u061f',
    'egbpdaj6bu4bxfgehfvwxn',
  ],
  ['他们为什么不说中文', 'ihqwcrb4cv8a8dqg056pqjye'],
  ['他們爲什麽不說中文', 'ihqwctvzc91f659drss3x8bo0yb'],
  ['Pročprostěnemluvíčesky', 'Proprostnemluvesky-uyb24dma41a'],
  ['למההםפשוטלאמדבריםעברית', '4dbcagdahymbxekheh6e0a7fei0b'],
  ['यहलोगहिन्दीक्योंनहींबोलसकतेहैं', 'i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd'],
  ['なぜみんな日本語を話してくれないのか', 'n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa'],
  ['PorquénopuedensimplementehablarenEspañol', 'PorqunopuedensimplementehablarenEspaol-fmd56a'],
  ['TạisaohọkhôngthểchỉnóitiếngViệt', 'TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g'],
  ['3年B組金八先生', '3B-ww4c5e180e575a65lsy2b'],
  ['安室奈美恵-with-SUPER-MONKEYS', '-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n'],
  ['Hello-Another-Way-それぞれの場所', 'Hello-Another-Way--fc4qua05auwb3674vfr0b'],
  ['ひとつ屋根の下2', '2-u9tlzr9756bt3uc0v'],
  ['MajiでKoiする5秒前', 'MajiKoi5-783gue6qz075azm5e'],
  ['パフィーdeルンバ', 'de-jg4avhby1noc0d'],
  ['そのスピードで', 'd9juau41awczczp'],
  ['-> $1.00 <-', '-> $1.00 <--'],
  ['bücher', 'bcher-kva'],
  ['faß', 'fa-hia'],
  ['\u{1f4a9}', 'ls8h'],
  ['\u0080', 'a'],
  ['a', 'a-'],
  ['', ''],
];

describe('decodePunycode() and encodePunycode()', () => {
  test.each(SAMPLES)('encodePunycode(%j) is %j', (unicode, punycode) => {
    expect(encodePunycode(unicode)).toBe(punycode);
  });

  test.each(SAMPLES)("decodePunycode() of %j's encoding %j gives it back", (unicode, punycode) => {
    expect(decodePunycode(punycode)).toBe(unicode);
  });

  test.each<[string, string]>([
    ['zz', 'a truncated variable-length integer'],
    ['0', 'a truncated integer (digit 26 needs a continuation)'],
    ['-uba', 'a delimiter with no basic code points before it is not consumed, and "-" is not a digit'],
    ['99999999999', 'an overflow of a 32-bit integer (RFC 3492 §6.4)'],
    ['BCHER-KVA', 'upper-case digits (names are lower-cased first)'],
    ['bcher-kv_a', 'a character that is not a base-36 digit'],
    ['b\u00fccher-kva', 'a non-basic code point before the delimiter'],
    ['o98bmjir', 'a delta that lands on a surrogate code point'],
    ['x80468h', 'a code point above U+10FFFF'],
  ])('decodePunycode(%j) is undefined: %s', (input) => {
    expect(decodePunycode(input)).toBeUndefined();
  });

  test('encodePunycode() refuses a lone surrogate', () => {
    expect([encodePunycode('a\ud800'), encodePunycode('\udc00')]).toEqual([undefined, undefined]);
  });

  test(`encodePunycode() then decodePunycode() gives back any Unicode label (${RUNS} cases)`, () => {
    const codePoint = fc.oneof(
      fc.integer({ min: 0x61, max: 0x7a }),
      fc.integer({ min: 0x80, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0x10ffff }),
    );
    fc.assert(
      fc.property(fc.array(codePoint, { maxLength: 20 }), (codePoints) => {
        const text = String.fromCodePoint(...codePoints);
        const encoded = encodePunycode(text);
        expect(encoded).toMatch(/^[a-z0-9-]*$/);
        expect(decodePunycode(encoded as string)).toBe(text);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test(`every lower-case string that decodes re-encodes to itself: decoding is one-to-one (${RUNS} cases)`, () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), maxLength: 12 }),
        (input) => {
          const text = decodePunycode(input);
          if (text !== undefined) decoded += 1;
          expect(text === undefined ? input : encodePunycode(text)).toBe(input);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    // Half of the random strings decode; the property must not pass on rejections alone.
    expect(decoded).toBeGreaterThan(RUNS / 10);
  });
});
