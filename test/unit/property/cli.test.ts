/**
 * Property: whatever argv holds, runCli() resolves (never throws, never leaves a rejection behind)
 * to 0, 1 or 2; a non-zero exit explains itself on stderr; every failure we raise is a typed error
 * in the house style (no "Unexpected error"); an EAB HMAC key given on the command line is never echoed.
 */
import fc from 'fast-check';
import { runCli } from '../../../src/cli';
import { AcmeError, ChallengeError } from '../../../src/errors';
import {
  MemoryAccountKeyStage,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { cliHarness } from '../cli/_harness';
import { houseStyleProblem, hostileString } from './_house';

/** Generous: the whole suite shares 2 loaded cores; the work is bounded by RUNS, not by time. */
const TIMEOUT_MS = 300_000;
const RUNS = 10_000;

const COMMANDS = [
  'issue',
  'list',
  'renew',
  'daemon',
  'deploy',
  'haproxy-config',
  'revoke',
  'remove',
  'account',
  'account show',
  'account rollover',
  'help',
];
const FLAGS = [
  '--home',
  '--directory',
  '--ca-bundle',
  '--request-timeout',
  '--json',
  '-v',
  '--verbose',
  '-q',
  '--quiet',
  '-d',
  '--domain',
  '--name',
  '--profile',
  '--deploy-hook',
  '--hook-timeout',
  '--eab-kid',
  '--eab-hmac-key',
  '--email',
  '--key-type',
  '--http-address',
  '--http-port',
  '--preflight',
  '--haproxy-socket',
  '--haproxy-crt-list',
  '--haproxy-master-socket',
  '--haproxy-reload-cmd',
  '--haproxy-allow-remote',
  '--haproxy-bufsize',
  '--lock-timeout',
  '--schedule',
  '--until',
  '--reason',
  '--force',
  '--dry-run',
  '--reuse-key',
  '--help',
  '--version',
];

/** A secret-looking EAB key: 32 to 64 base64url characters, long enough that an echo cannot be a coincidence. */
const secretKey = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 32,
  maxLength: 64,
});

/** Arguments a command accepts, so that runs also get past parsing and fail (exit 1) or succeed (exit 0). */
const plausibleGroup = fc.constantFrom<string[]>(
  ['-d', 'a.example.com'],
  ['--name', 'site.example.com'],
  ['--home', '/srv/acme'],
  ['--json'],
  ['--force'],
  ['--reason', 'superseded'],
  ['--dry-run'],
);

/** One argument group: a known flag with a hostile value (separate or `=`), a bare flag, an unknown flag, or junk. */
const argGroup: fc.Arbitrary<string[]> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...FLAGS), hostileString).map(([flag, value]) => [flag, value]), weight: 5 },
  {
    arbitrary: fc.tuple(fc.constantFrom(...FLAGS), hostileString).map(([flag, value]) => [`${flag}=${value}`]),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...FLAGS).map((flag) => [flag]), weight: 2 },
  { arbitrary: hostileString.map((name) => [`--${name}`]), weight: 1 },
  { arbitrary: hostileString.map((value) => [value]), weight: 2 },
  { arbitrary: plausibleGroup, weight: 2 },
);

const argv: fc.Arbitrary<{ argv: string[]; secret: string | undefined }> = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom(...COMMANDS).map((c) => c.split(' ')), weight: 4 },
      { arbitrary: hostileString.map((s) => [s]), weight: 1 },
      { arbitrary: fc.constant([] as string[]), weight: 1 },
    ),
    fc.oneof(
      { arbitrary: fc.array(argGroup, { maxLength: 6 }), weight: 3 },
      { arbitrary: fc.array(plausibleGroup, { maxLength: 3 }), weight: 1 },
    ),
    fc.option(secretKey, { nil: undefined }),
  )
  .map(([command, groups, secret]) => ({
    argv: [...command, ...groups.flat(), ...(secret === undefined ? [] : ['--eab-hmac-key', secret])],
    secret,
  }));

const DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

const store = new MemoryCertificateStore({ home: '/srv/acme' });

/**
 * One stored certificate and account (shared, since parsing the PEM costs more than a run; put back when a
 * run removed them), and adapters that fail the way real ones do, with typed errors, so that any
 * "Unexpected error" is ours.
 */
async function harness() {
  if (!(await store.listCertificateNames()).includes('site.example.com')) {
    await store.saveCertificate({
      name: 'site.example.com',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: ['example.com'], directoryUrl: DIRECTORY },
    });
  }
  if ((await store.loadAccount(DIRECTORY))?.keyPem !== certs.ecLeaf2Key) {
    await store.saveAccount({
      directoryUrl: DIRECTORY,
      accountUrl: `${DIRECTORY}/acct/1`,
      keyPem: certs.ecLeaf2Key,
      createdAt: '2026-11-01T00:00:00.000Z',
    });
  }
  const deployState = new MemoryDeployStateStore();
  const renewalState = new MemoryRenewalStateStore();
  return cliHarness(
    {
      store,
      deployState,
      renewalState,
      accountKeyStage: new MemoryAccountKeyStage(store),
      acmeFor: () => {
        throw new AcmeError(
          'ACME_NETWORK',
          'Cannot reach the ACME server "https://ca.invalid/dir": no network in unit tests',
        );
      },
      responder: {
        acquire: async () => {
          throw new ChallengeError(
            'CHALLENGE_BIND',
            'Cannot listen on "127.0.0.1:34000" for HTTP-01: no sockets in unit tests',
            { port: 34000 },
          );
        },
        present: async () => undefined,
        cleanup: async () => undefined,
      },
    },
    { waitForShutdown: async () => 'SIGTERM', runSelf: async () => 1 },
  );
}

describe('runCli() on generated argv', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  test(
    `runCli() exits 0, 1 or 2 with a typed, house-style message for ${RUNS} generated argv`,
    async () => {
      const exits = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(argv, async (sample) => {
          const { deps, stdout, stderr, logs } = await harness();
          const code = await runCli(sample.argv, deps);
          exits.set(code, (exits.get(code) ?? 0) + 1);
          const err = stderr();
          expect([0, 1, 2]).toContain(code);
          // The real logger writes to stderr too: a failed renewal pass explains itself in its log lines.
          expect(code === 0 || `${err}${logs()}`.trim() !== '').toBe(true);
          expect(err).not.toContain('Unexpected error');
          const ours = [...err.matchAll(/^Error: ([\s\S]*?)(?=\nHint: |\n$)/gm)].map((m) => m[1] as string);
          expect(ours.map(houseStyleProblem).filter((p) => p !== undefined)).toEqual([]);
          expect(sample.secret === undefined || !`${stdout()}${err}${logs()}`.includes(sample.secret)).toBe(true);
        }),
        { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 20261127) },
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      // Every outcome must be reached, or the generators only exercise the argument parser.
      process.stderr.write(`cli property exit codes: ${JSON.stringify(Object.fromEntries(exits))}\n`);
      expect([0, 1, 2].map((code) => (exits.get(code) ?? 0) > RUNS / 500)).toEqual([true, true, true]);
    },
    TIMEOUT_MS,
  );
});
