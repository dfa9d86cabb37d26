/**
 * Property of the config loader: for generated flags, environment variables and snap
 * options (any JSON a `snapctl get -d` could return) for every key in CONFIG_KEYS, loadConfig() either
 * resolves to a deeply frozen Config with canonical identifiers, or rejects with a house-style ConfigError
 * that never contains the EAB HMAC key.
 */
import { isAbsolute } from 'node:path';
import fc from 'fast-check';
import { CONFIG_KEYS, loadConfig, type Config, type RawFlags } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { hostileString, settleAsync, typedRejectionProblem } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
const RUNS = 10_000;
const SEED = Number(process.env.FC_SEED ?? 20261127);
const HMAC_KEY = 'c2VjcmV0LWVhYi1rZXktZm9yLXByb3BlcnR5LXRlc3Rz';

/** A value each field would accept, so that generated configurations also get past the first error. */
const PLAUSIBLE: Record<string, readonly string[]> = {
  home: ['/srv/acme', 'relative/home'],
  storage: ['file', 'postgres://acme@127.0.0.1:5432/acme', 'postgresql://db.internal/acme?sslmode=require'],
  http01Mode: ['local', 'STATELESS'],
  syncInterval: ['10m', '5000'],
  lease: ['30s', '1m'],
  directory: ['https://ca.example/dir', 'letsencrypt', 'http://127.0.0.1:14000/dir', 'http://10.0.0.1/dir'],
  staging: ['true', 'no'],
  caBundle: ['/nonexistent/ca.pem'],
  email: ['admin@example.com'],
  domain: ['a.example.com,b.example.com', '192.0.2.1', '[::1]', 'Bücher.example'],
  name: ['site', '*.example.com'],
  keyType: ['ec384', 'RSA2048'],
  profile: ['tlsserver'],
  httpAddress: ['127.0.0.1:8080', 'unix:/run/acme.sock', '[::1]:80', '0.0.0.0'],
  httpPort: ['8080', '0'],
  preflight: ['off', 'http://127.0.0.1:80'],
  requestTimeout: ['5000'],
  timeout: ['90s', '30m', '1500'],
  haproxySocket: ['/run/haproxy/admin.sock', 'ipv4@127.0.0.1:9999', 'ipv4@10.0.0.1:9999 ipv6@[::1]:1'],
  haproxyCrtList: ['/nonexistent/crt-list.txt'],
  haproxyMasterSocket: ['ipv6@[::1]:9998'],
  haproxyReloadCmd: ['snapctl restart x.haproxy', '/nonexistent/reload --now'],
  haproxyAllowRemote: ['true'],
  haproxyBufsize: ['16384'],
  lockTimeout: ['0'],
  deployHook: ['/nonexistent/hook --flag'],
  hookTimeout: ['2000'],
  eabKid: ['kid-1'],
  eabHmacKey: [HMAC_KEY, `${HMAC_KEY}+/`],
  metricsFile: ['/nonexistent/acme.prom'],
  localPorts: ['8080,8443', '80'],
};

/** Fields whose flag is repeatable (RawFlags holds a string[]). */
const LIST_FLAGS = new Set(['domain', 'haproxySocket', 'deployHook', 'localPorts']);

const textValue = (field: string): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: hostileString, weight: 1 },
    { arbitrary: fc.constantFrom(...(PLAUSIBLE[field] ?? ['x'])), weight: 2 },
  );

/** What `snapctl get -d` may hand over: text, numbers, booleans, null, lists, objects. */
const snapValue = (field: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: textValue(field), weight: 4 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
    { arbitrary: fc.array(textValue(field), { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.constantFrom(0, -1, 1.5, 65536, 1e21, Number.MAX_SAFE_INTEGER, true, false, null), weight: 1 },
  );

/** Mostly unset: a source that sets everything fails on the first hostile value and hides the rest. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 12 }, { arbitrary, weight: 1 });

/** A flag as commander hands it over: true for a boolean flag, a list for a repeatable one, else text. */
function flagValue(key: (typeof CONFIG_KEYS)[number]): fc.Arbitrary<unknown> {
  if (key.flag === undefined) return fc.constant(undefined);
  if (key.valueName === undefined) return maybe(fc.boolean());
  if (LIST_FLAGS.has(key.field)) return maybe(fc.array(textValue(key.field), { minLength: 1, maxLength: 3 }));
  return maybe(textValue(key.field));
}

type Sources = { flags: RawFlags; env: Record<string, string>; snap: Record<string, unknown> };

const sources: fc.Arbitrary<Sources> = fc
  .tuple(
    ...CONFIG_KEYS.map((key) => {
      const flag = flagValue(key);
      return fc.tuple(
        flag,
        key.env === undefined ? fc.constant(undefined) : maybe(textValue(key.field)),
        key.snap === undefined ? fc.constant(undefined) : maybe(snapValue(key.field)),
      );
    }),
    maybe(hostileString),
  )
  .map((values) => {
    const snapCommon = values.pop() as string | undefined;
    const result: Sources = { flags: {}, env: snapCommon === undefined ? {} : { SNAP_COMMON: snapCommon }, snap: {} };
    (values as [unknown, string | undefined, unknown][]).forEach(([flag, env, snap], index) => {
      const key = CONFIG_KEYS[index]!;
      if (flag !== undefined) (result.flags as Record<string, unknown>)[key.field] = flag;
      if (env !== undefined) result.env[key.env!] = env;
      if (snap !== undefined) result.snap[key.snap!] = snap;
    });
    return result;
  });

/** Why a resolved Config breaks its contract, or undefined. */
function configProblem(config: Config): string | undefined {
  if (!Object.isFrozen(config) || !Object.isFrozen(config.domains) || !Object.isFrozen(config.haproxy))
    return 'not deeply frozen';
  if (!isAbsolute(config.home)) return 'home is not absolute';
  if (config.domains.some((domain) => !/^[a-z0-9.:-]{1,253}$/.test(domain))) return 'a domain is not canonical';
  if (new Set(config.domains).size !== config.domains.length) return 'domains are not de-duplicated';
  return undefined;
}

describe('loadConfig() on generated flags, environment and snap options', () => {
  test(
    `loadConfig() resolves a frozen Config or rejects with a house-style ConfigError (${RUNS} cases)`,
    async () => {
      const outcomes = { resolved: 0, rejected: 0 };
      await fc.assert(
        fc.asyncProperty(sources, async ({ flags, env, snap }) => {
          const outcome = await settleAsync(() =>
            loadConfig({ flags, env: { ...env, SNAP: '/snap/x/1' }, snapOptions: async () => snap, cwd: '/srv/app' }),
          );
          outcomes[outcome.ok ? 'resolved' : 'rejected'] += 1;
          expect(
            outcome.ok ? configProblem(outcome.value) : typedRejectionProblem(outcome.error, ConfigError),
          ).toBeUndefined();
          expect(outcome.ok || !(outcome.error as Error).message.includes(HMAC_KEY)).toBe(true);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      // Both outcomes must be common, or the generators only test the first check.
      expect([outcomes.resolved > RUNS / 50, outcomes.rejected > RUNS / 50]).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );
});
