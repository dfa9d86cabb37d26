/**
 * Properties of the two HAProxy configuration renderers, the snap's haproxy.cfg and `acme haproxy-config`:
 * for arbitrary values in every interpolated slot, the renderer either refuses with a house-style
 * ConfigError (exactly when some value is not one HAProxy word), or its output has the same lines, and
 * the same tokens on each line, as the output for benign values, with each value standing as exactly the
 * token it replaced. So no value can add a line, a directive or an argument.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { renderHaproxyConfig } from '../../../src/cli/haproxyConfig';
import { resolveConfig, type Config, type HttpAddress } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { isHaproxyWord } from '../../../src/haproxyWord';
import { renderSnapHaproxyConfig, type RenderSnapHaproxyOptions } from '../../../src/snap';
import { hostileString, settle, typedRejectionProblem } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
const RUNS = 10_000;
const SEED = Number(process.env.FC_SEED ?? 20261127);

/**
 * Splits one configuration line into tokens the way HAProxy's parser delimits them: spaces and tabs
 * separate, `#` outside quotes ends the line, `"` and `'` group, `\` escapes the next character (not
 * inside single quotes). Tokens keep their quotes, so two lines compare equal only when HAProxy would
 * read the same words from them.
 */
function tokensOf(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] as string;
    if (quote === undefined && (char === ' ' || char === '\t')) {
      if (current !== '') tokens.push(current);
      current = '';
    } else if (quote === undefined && char === '#') {
      break;
    } else if (char === '\\' && quote !== "'") {
      current += char + (line[i + 1] ?? '');
      i += 1;
    } else {
      if ((char === '"' || char === "'") && (quote === undefined || quote === char))
        quote = quote === undefined ? char : undefined;
      current += char;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

/** Why `rendered` is not `baseline` with each benign word swapped for its counterpart, or undefined. */
function structureProblem(rendered: string, baseline: string, swaps: ReadonlyMap<string, string>): string | undefined {
  // Only the fixed text may hold anything but printable ASCII and newlines (the CLI's comments cite "§8.3").
  const strange = [...rendered].find((char) => !/^[\x20-\x7e\n]$/.test(char) && !baseline.includes(char));
  if (strange !== undefined) return `the output holds ${JSON.stringify(strange)}, which the benign output does not`;
  const lines = rendered.split('\n');
  const expected = baseline.split('\n').map((line) => tokensOf(line).map((token) => swaps.get(token) ?? token));
  if (lines.length !== expected.length) return `the output has ${lines.length} lines, not ${expected.length}`;
  const bad = lines.findIndex((line, i) => JSON.stringify(tokensOf(line)) !== JSON.stringify(expected[i]));
  return bad === -1
    ? undefined
    : `line ${bad + 1} reads ${JSON.stringify(tokensOf(lines[bad] as string))}, not ${JSON.stringify(expected[bad])}`;
}

/** One word HAProxy reads as such (src/haproxyWord.ts's character set). */
const word = fc.stringMatching(/^[!%&(-[\]-~]{1,40}$/);
/** Mostly benign, often hostile, sometimes a good value with a hostile tail. */
const slotValue = (benign: string): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constant(benign), weight: 3 },
    { arbitrary: word, weight: 3 },
    { arbitrary: hostileString, weight: 2 },
    { arbitrary: hostileString.map((tail) => `${benign}${tail}`), weight: 2 },
  );

/** HAProxy `server` address of a responder, as the renderers write it. */
const serverAddress = (address: HttpAddress): string =>
  address.kind === 'unix'
    ? `unix@${address.path}`
    : address.host.includes(':')
      ? `[${address.host}]:${address.port}`
      : `${address.host}:${address.port}`;

const responder = (path: string, host: string): fc.Arbitrary<HttpAddress> =>
  fc.oneof(
    slotValue(path).map((p): HttpAddress => ({ kind: 'unix', path: p })),
    slotValue(host).map((h): HttpAddress => ({ kind: 'tcp', host: h, port: 34000 })),
  );

/** The property itself, for either renderer: `words` pairs each benign word with the word it became. */
function checkRendering(
  outcome: ReturnType<typeof settle<string>>,
  baseline: string,
  words: readonly (readonly [string, string])[],
): string | undefined {
  const refusable = words.some(([, written]) => !isHaproxyWord(written));
  if (!outcome.ok)
    return refusable
      ? typedRejectionProblem(outcome.error, ConfigError)
      : `refused one-word values: ${String(outcome.error)}`;
  if (refusable) return 'rendered a value that is not one word';
  return structureProblem(outcome.value, baseline, new Map(words));
}

describe('HAProxy configuration renderers on arbitrary values', () => {
  test(
    `renderSnapHaproxyConfig() refuses a value that is not one word, and no value adds a line or a token (${RUNS} cases)`,
    () => {
      const BENIGN = {
        admin: '/m1/admin.sock',
        crtList: '/m2/crt-list.txt',
        path: '/m3/http.sock',
        host: 'm4.example',
        http: '*:11111',
        https: '*:22222',
        backend: '127.0.0.1:33333',
      };
      const counts = { rendered: 0, refused: 0 };
      const input = fc.record({
        httpEnabled: fc.boolean(),
        httpsEnabled: fc.boolean(),
        httpsRedirect: fc.boolean(),
        tlsAlpn: fc.boolean(),
        hasBackend: fc.boolean(),
        admin: slotValue(BENIGN.admin),
        crtList: slotValue(BENIGN.crtList),
        responder: responder(BENIGN.path, BENIGN.host),
        http: slotValue(BENIGN.http),
        https: slotValue(BENIGN.https),
        backend: slotValue(BENIGN.backend),
      });
      fc.assert(
        fc.property(input, (v) => {
          const build = (
            admin: string,
            crtList: string,
            address: HttpAddress,
            http: string,
            https: string,
            backend: string,
          ): RenderSnapHaproxyOptions => ({
            wrapper: {
              httpEnabled: v.httpEnabled,
              httpsEnabled: v.httpsEnabled,
              httpsRedirect: v.httpsRedirect,
              httpBind: { text: http, ports: [{ first: 11111, last: 11111 }] },
              httpsBind: { text: https, ports: [{ first: 22222, last: 22222 }] },
              backend: v.hasBackend ? { text: backend, port: 33333 } : undefined,
            },
            responder: address,
            challengeType: v.tlsAlpn ? 'tls-alpn-01' : 'http-01',
            paths: {
              adminSocket: admin,
              crtList,
              manualCrtList: '/m5/manual-crt-list.txt',
              httpsSocket: '/m6/https.sock',
            },
            embedding: { appCheckUri: '/m7/ping', statsUri: '/m8', errorfile503: '/m9/503.http' },
          });
          const benignAddress: HttpAddress =
            v.responder.kind === 'unix'
              ? { kind: 'unix', path: BENIGN.path }
              : { kind: 'tcp', host: BENIGN.host, port: 34000 };
          const baseline = renderSnapHaproxyConfig(
            build(BENIGN.admin, BENIGN.crtList, benignAddress, BENIGN.http, BENIGN.https, BENIGN.backend),
          );
          const outcome = settle(() =>
            renderSnapHaproxyConfig(build(v.admin, v.crtList, v.responder, v.http, v.https, v.backend)),
          );
          counts[outcome.ok ? 'rendered' : 'refused'] += 1;
          const words: [string, string][] = [
            [BENIGN.admin, v.admin],
            [BENIGN.crtList, v.crtList],
            [serverAddress(benignAddress), serverAddress(v.responder)],
            [BENIGN.http, v.http],
            // Both checked whether or not they are written: see renderSnapHaproxyConfig().
            [BENIGN.https, v.https],
            ...(v.hasBackend ? [[BENIGN.backend, v.backend] as [string, string]] : []),
          ];
          expect(checkRendering(outcome, baseline, words)).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect([counts.rendered > RUNS / 20, counts.refused > RUNS / 20]).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );

  test(
    `renderHaproxyConfig() refuses a value that is not one word, and no value adds a line or a token (${RUNS} cases)`,
    () => {
      const BENIGN = {
        home: '/m5',
        socket: '/m6/admin.sock',
        crtList: '/m7/crt-list.txt',
        path: '/m8/http.sock',
        host: 'm9.example',
      };
      const base = resolveConfig({ flags: {}, env: {}, snap: {}, cwd: '/' });
      const counts = { rendered: 0, refused: 0 };
      const input = fc.record({
        home: slotValue(BENIGN.home),
        socket: slotValue(BENIGN.socket),
        crtList: fc.option(slotValue(BENIGN.crtList), { nil: undefined }),
        responder: responder(BENIGN.path, BENIGN.host),
      });
      fc.assert(
        fc.property(input, (v) => {
          const build = (home: string, socket: string, crtList: string | undefined, address: HttpAddress): Config => ({
            ...base,
            home,
            httpAddress: address,
            haproxy: { ...base.haproxy, sockets: [{ kind: 'unix', path: socket }], crtList },
          });
          const benignAddress: HttpAddress =
            v.responder.kind === 'unix'
              ? { kind: 'unix', path: BENIGN.path }
              : { kind: 'tcp', host: BENIGN.host, port: 34000 };
          const benignCrtList = v.crtList === undefined ? undefined : BENIGN.crtList;
          const baseline = renderHaproxyConfig(build(BENIGN.home, BENIGN.socket, benignCrtList, benignAddress));
          const outcome = settle(() => renderHaproxyConfig(build(v.home, v.socket, v.crtList, v.responder)));
          counts[outcome.ok ? 'rendered' : 'refused'] += 1;
          const words: [string, string][] = [
            [BENIGN.socket, v.socket],
            [serverAddress(benignAddress), serverAddress(v.responder)],
            [join(BENIGN.home, 'haproxy-default.pem'), join(v.home, 'haproxy-default.pem')],
            [join(BENIGN.home, 'haproxy'), join(v.home, 'haproxy')],
            v.crtList === undefined
              ? [join(BENIGN.home, 'crt-list.txt'), join(v.home, 'crt-list.txt')]
              : [BENIGN.crtList, v.crtList],
          ];
          expect(checkRendering(outcome, baseline, words)).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect([counts.rendered > RUNS / 20, counts.refused > RUNS / 20]).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );
});
