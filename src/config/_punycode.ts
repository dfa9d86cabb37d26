/**
 * Punycode (RFC 3492) for one label, without the "xn--" prefix. Pure and runtime-independent:
 * Node's url.domainToASCII()/domainToUnicode() changed between Node 20 and Node 24, which passes an
 * undecodable label such as "xn--zz" through unchanged, so canonical-punycode checks cannot rely on
 * them. Digits are lower-case only (the caller lower-cases names first).
 */

// RFC 3492 §5: parameter values for Punycode.
const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
const DELIMITER = '-';
/** RFC 3492 §6.4 overflow handling, with 32-bit integers as in the RFC's sample code. */
const MAX_INT = 0x7fffffff;
const MAX_CODE_POINT = 0x10ffff;

/** RFC 3492 §6.1: bias adaptation. */
function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  let scaled = firstTime ? Math.floor(delta / DAMP) : Math.floor(delta / 2);
  scaled += Math.floor(scaled / numPoints);
  let k = 0;
  while (scaled > ((BASE - TMIN) * TMAX) / 2) {
    scaled = Math.floor(scaled / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * scaled) / (scaled + SKEW));
}

/** The threshold t for position k (RFC 3492 §6.2 and §6.3). */
function threshold(k: number, bias: number): number {
  if (k <= bias) return TMIN;
  return k >= bias + TMAX ? TMAX : k - bias;
}

/** a-z → 0-25, 0-9 → 26-35, anything else → undefined (upper case is not accepted). */
function digitValue(char: string | undefined): number | undefined {
  if (char === undefined) return undefined;
  const code = char.charCodeAt(0);
  if (code >= 0x61 && code <= 0x7a) return code - 0x61;
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 26;
  return undefined;
}

function digitChar(digit: number): string {
  return String.fromCharCode(digit < 26 ? 0x61 + digit : 0x30 + digit - 26);
}

const isSurrogate = (n: number): boolean => n >= 0xd800 && n <= 0xdfff;

/** Reads one generalized variable-length integer (RFC 3492 §3.3) added to `i`; undefined on bad input or overflow. */
function readDelta(input: string, start: number, i: number, bias: number): { i: number; next: number } | undefined {
  let value = i;
  let w = 1;
  let position = start;
  for (let k = BASE; ; k += BASE) {
    const digit = digitValue(input[position]);
    if (digit === undefined || digit > Math.floor((MAX_INT - value) / w)) return undefined;
    position += 1;
    value += digit * w;
    const t = threshold(k, bias);
    if (digit < t) return { i: value, next: position };
    if (w > Math.floor(MAX_INT / (BASE - t))) return undefined;
    w *= BASE - t;
  }
}

/**
 * Decodes a Punycode label (RFC 3492 §6.2), e.g. `"bcher-kva"` → `"bücher"`; undefined when the
 * input is not valid Punycode: a non-digit, a truncated integer, an overflow, a basic or surrogate
 * code point produced by the deltas.
 */
export function decodePunycode(input: string): string | undefined {
  const last = input.lastIndexOf(DELIMITER);
  const basic = last > 0 ? input.slice(0, last) : '';
  if (!/^[\u0000-\u007f]*$/.test(basic)) return undefined;
  const output = Array.from(basic, (char) => char.codePointAt(0) as number);
  let [n, i, bias] = [INITIAL_N, 0, INITIAL_BIAS];
  // §6.2: the last delimiter is consumed only when basic code points precede it.
  for (let position = last > 0 ? last + 1 : 0; position < input.length;) {
    const read = readDelta(input, position, i, bias);
    if (read === undefined) return undefined;
    const length = output.length + 1;
    bias = adapt(read.i - i, length, i === 0);
    n += Math.floor(read.i / length);
    if (n > MAX_CODE_POINT || isSurrogate(n)) return undefined;
    i = read.i % length;
    output.splice(i, 0, n);
    [i, position] = [i + 1, read.next];
  }
  return String.fromCodePoint(...output);
}

/** The generalized variable-length integer `q` (RFC 3492 §3.3) as digits. */
function writeDelta(q: number, bias: number): string {
  let output = '';
  let rest = q;
  for (let k = BASE; ; k += BASE) {
    const t = threshold(k, bias);
    if (rest < t) return output + digitChar(rest);
    output += digitChar(t + ((rest - t) % (BASE - t)));
    rest = Math.floor((rest - t) / (BASE - t));
  }
}

/**
 * Encodes a label as Punycode (RFC 3492 §6.3), e.g. `"bücher"` → `"bcher-kva"`; undefined on
 * overflow or a lone surrogate.
 */
export function encodePunycode(input: string): string | undefined {
  const codePoints = Array.from(input, (char) => char.codePointAt(0) as number);
  if (codePoints.some(isSurrogate)) return undefined;
  const basicCount = codePoints.filter((c) => c < INITIAL_N).length;
  let output = codePoints
    .filter((c) => c < INITIAL_N)
    .map((c) => String.fromCodePoint(c))
    .join('');
  if (basicCount > 0) output += DELIMITER;
  let [n, delta, bias, handled] = [INITIAL_N, 0, INITIAL_BIAS, basicCount];
  while (handled < codePoints.length) {
    const m = Math.min(...codePoints.filter((c) => c >= n));
    if (m - n > Math.floor((MAX_INT - delta) / (handled + 1))) return undefined;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of codePoints) {
      if (c < n && ++delta > MAX_INT) return undefined;
      if (c !== n) continue;
      output += writeDelta(delta, bias);
      bias = adapt(delta, handled + 1, handled === basicCount);
      [delta, handled] = [0, handled + 1];
    }
    [delta, n] = [delta + 1, n + 1];
  }
  return output;
}
