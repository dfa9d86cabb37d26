/**
 * Hostile lego directories, property-based: generated account.json, .json,
 * PEM files (valid ones from real lego, cut, spliced, garbage) and folder names. 10,100 cases in
 * all; nothing may throw but our typed errors, and no problem may carry key material.
 */
import fc from 'fast-check';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { AppError } from '../../../src/errors';
import { CapturingLogger } from '../../../src/log';
import {
  classifyCertificateFile,
  importLego,
  isLegoServerFolderOf,
  LegoDirectoryReader,
  parseLegoAccount,
  parseLegoCertificate,
  planLegoImport,
  serverOfUrl,
  type LegoAccountFiles,
  type LegoCertificateFiles,
  type LegoFile,
  type LegoProblem,
  type LegoSnapshot,
} from '../../../src/migration';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryLocalBundles,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { certs } from '../../fixtures/certs';
import { accountFiles, certificateFiles, LEGO_DIRECTORY, LEGO_NOW, LEGO_SERVER } from './_lego';

const RUNS = { account: 3000, certificate: 3000, plan: 2000, names: 1500, import: 500, reader: 100 };

/** Generous: the machine may be loaded; a timeout here is never a finding. */
const PROPERTY_TIMEOUT_MS = 300_000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));

const VALID_TEXTS = [
  ...[accountFiles('admin@example.test'), accountFiles('other@example.test')].flatMap((a) => [
    a.accountJson!.text,
    a.key!.text,
  ]),
  ...(['one.example.test', 'two.example.test', '_.wild.example.test'] as const).flatMap((b) => {
    const files = certificateFiles(b);
    return [files.crt!.text, files.key!.text, files.issuer!.text, files.json!.text];
  }),
  certs.ecLeaf,
  certs.encryptedKey,
  certs.selfSigned,
  certs.ecRoot,
];
/** A line of base64 from every private key we feed in: none may appear in a problem or a report. */
const KEY_LINES = VALID_TEXTS.filter((t) => t.includes('PRIVATE KEY')).map((t) => t.split('\n')[1]!.slice(0, 24));

/** Valid lego texts, cut, spliced with junk, or junk alone. */
const text = fc.oneof(
  fc.constantFrom(...VALID_TEXTS),
  fc
    .tuple(fc.constantFrom(...VALID_TEXTS), fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 20 }))
    .map(([t, at, cut, junk]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + junk + t.slice(i + cut);
    }),
  fc.tuple(fc.constantFrom(...VALID_TEXTS), fc.constantFrom(...VALID_TEXTS)).map(([a, b]) => a + b),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
    '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n',
  ),
);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('valid', '', '\u001b[2J', 'x\u202ey', '../../etc/passwd', 'a'.repeat(5000)),
);
const uri = fc.oneof(
  fc.webUrl(),
  hostileString,
  fc.constantFrom('https://127.0.0.1:33595/my-account/1', 'file:///etc/passwd', 'https://[::1]:1/x'),
  fc.jsonValue(),
);
const accountJson = fc.oneof(
  text,
  fc
    .record(
      {
        email: fc.oneof(hostileString, fc.jsonValue()),
        registration: fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              uri,
              body: fc.oneof(
                fc.jsonValue(),
                fc.record(
                  {
                    status: fc.oneof(hostileString, fc.constant('valid')),
                    contact: fc.array(hostileString, { maxLength: 3 }),
                  },
                  { requiredKeys: [] },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);
const resourceJson = fc.oneof(
  text,
  fc
    .record(
      {
        domain: fc.oneof(
          hostileString,
          fc.constantFrom('one.example.test', '*.wild.example.test', 'two.example.test'),
          fc.jsonValue(),
        ),
        certUrl: uri,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);
const maybeFile = (path: string, content: fc.Arbitrary<string>): fc.Arbitrary<LegoFile | undefined> =>
  fc.option(
    content.map((t) => ({ path, text: t })),
    { nil: undefined },
  );
const folderName = fc.oneof(
  fc.constantFrom('admin@example.test', 'other@example.test', 'noemail@example.com'),
  hostileString,
);
const serverName = fc.oneof(
  fc.constantFrom(LEGO_SERVER, 'acme-v02.api.letsencrypt.org', '[__1]_14000', '127.0.0.1_'),
  hostileString,
);

const accountFilesArb: fc.Arbitrary<LegoAccountFiles> = fc
  .record({
    server: serverName,
    folder: folderName,
    json: accountJson,
    key: text,
    hasJson: fc.boolean(),
    hasKey: fc.boolean(),
  })
  .map(({ server, folder, json, key, hasJson, hasKey }) => ({
    server,
    folder,
    ...(hasJson ? { accountJson: { path: `accounts/${server}/${folder}/account.json`, text: json } } : {}),
    ...(hasKey ? { key: { path: `accounts/${server}/${folder}/keys/${folder}.key`, text: key } } : {}),
  }));
const certificateFilesArb: fc.Arbitrary<LegoCertificateFiles> = fc
  .constantFrom('one.example.test', 'two.example.test', '_.wild.example.test', 'x')
  .chain((base) =>
    fc.record({
      base: fc.constant(base),
      crt: maybeFile(`certificates/${base}.crt`, text),
      key: maybeFile(`certificates/${base}.key`, text),
      issuer: maybeFile(`certificates/${base}.issuer.crt`, text),
      json: maybeFile(`certificates/${base}.json`, resourceJson),
    }),
  )
  .map(
    (files) =>
      Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) as unknown as LegoCertificateFiles,
  );
const snapshotArb: fc.Arbitrary<LegoSnapshot> = fc.record({
  root: fc.constant('/srv/lego'),
  accounts: fc.array(fc.oneof(accountFilesArb, fc.constant(accountFiles('admin@example.test'))), { maxLength: 3 }),
  certificates: fc.array(
    fc.oneof(
      certificateFilesArb,
      fc.constantFrom(certificateFiles('one.example.test'), certificateFiles('two.example.test')),
    ),
    { maxLength: 3 },
  ),
  problems: fc.constant([]),
  ignored: fc.constant([]),
});

function checkProblems(problems: LegoProblem[]): void {
  for (const problem of problems) {
    if (
      typeof problem.file !== 'string' ||
      problem.file === '' ||
      typeof problem.message !== 'string' ||
      problem.message === ''
    )
      throw new Error(`Bad problem ${JSON.stringify(problem)}`);
  }
  const json = JSON.stringify(problems);
  const leaked = KEY_LINES.find((line) => json.includes(line));
  if (leaked !== undefined) throw new Error('A problem holds key material');
}

describe('lego import properties', () => {
  test(`parseLegoAccount() never throws and names a file in every problem (${RUNS.account} cases)`, () => {
    expect(() =>
      fc.assert(
        fc.property(accountFilesArb, (files) => {
          const result = parseLegoAccount(files, { directoryServer: '127.0.0.1:33595' });
          checkProblems(result.ok ? [] : result.problems);
          return result.ok ? result.account.accountUrl.length > 0 : result.problems.length > 0;
        }),
        { numRuns: RUNS.account },
      ),
    ).not.toThrow();
  });

  test(`parseLegoCertificate() never throws and names a file in every problem (${RUNS.certificate} cases)`, () => {
    expect(() =>
      fc.assert(
        fc.property(certificateFilesArb, (files) => {
          const result = parseLegoCertificate(files);
          checkProblems(result.kind === 'invalid' ? result.problems : []);
          return result.kind !== 'invalid' || result.problems.length > 0;
        }),
        { numRuns: RUNS.certificate },
      ),
    ).not.toThrow();
  });

  test(`planLegoImport() never throws, and plans only certificates that are valid for the CA (${RUNS.plan} cases)`, () => {
    expect(() =>
      fc.assert(
        fc.property(snapshotArb, fc.option(folderName, { nil: undefined }), (snapshot, email) => {
          const plan = planLegoImport(snapshot, {
            directoryUrl: LEGO_DIRECTORY,
            now: LEGO_NOW,
            ...(email === undefined ? {} : { email }),
          });
          checkProblems(plan.problems);
          const names = plan.certificates.map((c) => c.name);
          return (
            new Set(names).size === names.length &&
            plan.certificates.every((c) => c.certificate.notAfter > LEGO_NOW && !c.domains.some((d) => d.includes('*')))
          );
        }),
        { numRuns: RUNS.plan },
      ),
    ).not.toThrow();
  });

  test(`the name helpers never throw on any string (${RUNS.names} cases)`, () => {
    expect(() =>
      fc.assert(
        fc.property(hostileString, hostileString, (a, b) => {
          classifyCertificateFile(a);
          serverOfUrl(a);
          return (
            typeof isLegoServerFolderOf(a, b) === 'boolean' &&
            typeof isLegoServerFolderOf(a, LEGO_DIRECTORY) === 'boolean'
          );
        }),
        { numRuns: RUNS.names },
      ),
    ).not.toThrow();
  });

  test(
    `importLego() rejects only with an AppError and never reports key material (${RUNS.import} cases)`,
    async () => {
      await expect(
        fc.assert(
          fc.asyncProperty(snapshotArb, async (snapshot) => {
            const store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(LEGO_NOW) });
            const deps = {
              directoryUrl: LEGO_DIRECTORY,
              store,
              bundles: new MemoryLocalBundles({ store }),
              renewalState: new MemoryRenewalStateStore(),
              deploy: { deployState: new MemoryDeployStateStore(), node: 'node-1', endpoints: [] },
              clock: fixedClock(LEGO_NOW),
              logger: new CapturingLogger(),
            };
            try {
              const report = await importLego(snapshot, deps);
              const json = JSON.stringify(report);
              return !KEY_LINES.some((line) => json.includes(line));
            } catch (error) {
              if (!(error instanceof AppError)) throw error;
              return (
                store.saves === 0 &&
                store.accounts.size === 0 &&
                !KEY_LINES.some((line) => error.message.includes(line))
              );
            }
          }),
          { numRuns: RUNS.import },
        ),
      ).resolves.toBeUndefined();
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    `LegoDirectoryReader.read() of generated directories never throws but ConfigError (${RUNS.reader} cases)`,
    async () => {
      const base = await mkdtemp(join(tmpdir(), 'haproxy-acme-lego-prop-'));
      const entryName = fc.oneof(
        fc.constantFrom('account.json', 'a.crt', 'a.key', 'a.json', 'a.issuer.crt', 'keys', 'x'),
        fc
          .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 })
          .filter((n) => !n.includes('/') && n !== '.' && n !== '..'),
      );
      let run = 0;
      try {
        await expect(
          fc.assert(
            fc.asyncProperty(
              fc.array(
                fc.tuple(
                  fc.constantFrom('accounts', 'accounts/s', 'accounts/s/e', 'accounts/s/e/keys', 'certificates'),
                  entryName,
                  text,
                ),
                { maxLength: 8 },
              ),
              async (entries) => {
                run += 1;
                const root = join(base, String(run));
                // A generated file may stand where a later entry needs a directory: that entry is dropped.
                for (const [dir, name, content] of entries) {
                  await mkdir(join(root, dir), { recursive: true })
                    .then(() => writeFile(join(root, dir, name), content))
                    .catch(() => undefined);
                }
                await mkdir(root, { recursive: true });
                try {
                  const snapshot = await new LegoDirectoryReader().read(root);
                  checkProblems(snapshot.problems);
                  planLegoImport(snapshot, { directoryUrl: LEGO_DIRECTORY, now: LEGO_NOW });
                  return true;
                } catch (error) {
                  if (!(error instanceof AppError)) throw error;
                  return error.code === 'CONFIG_INVALID';
                }
              },
            ),
            { numRuns: RUNS.reader },
          ),
        ).resolves.toBeUndefined();
      } finally {
        await rm(base, { recursive: true, force: true });
      }
    },
    PROPERTY_TIMEOUT_MS,
  );

  test('no promise was left rejected and unhandled by any case above', () => {
    expect(unhandled).toEqual([]);
  });
});
