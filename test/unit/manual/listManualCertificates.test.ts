/** acme list with manual certificates in a real temp home beside in-memory stored ones; acme renew leaves them alone. */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { listManualCertificates } from '../../../src/issuance';
import { MemoryCertificateStore } from '../../../src/storage';
import { cliHarness } from '../cli/_harness';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';
import { mintCertificate, type MintedCertificate } from './_mint';

const NOW = new Date('2026-11-27T00:00:00Z');
const DAY_MS = 86_400_000;

describe('acme list and acme renew with manual certificates', () => {
  let home: string;
  let dir: string;
  let store: MemoryCertificateStore;
  let manual: MintedCertificate;

  beforeAll(async () => {
    manual = await mintCertificate({
      names: ['photos.example.com'],
      now: NOW,
      notAfter: new Date(NOW.getTime() + 10.5 * DAY_MS),
    });
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-list-manual-'));
    dir = join(home, 'haproxy');
    await mkdir(dir, { mode: 0o700 });
    store = new MemoryCertificateStore({ home, clock: fixedClock(NOW) });
    await store.saveCertificate({
      name: 'site',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
    });
    // Our bundle (the memory store writes none): never a manual certificate.
    await writeFile(join(dir, 'site.pem'), 'our bundle');
    await writeFile(join(dir, 'cert.crt'), manual.certPem, { mode: 0o600 });
    await writeFile(join(dir, 'cert.crt.key'), manual.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'broken.crt'), manual.certPem, { mode: 0o600 });
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('acme list --json lists the stored certificate as kind "acme" and each manual one as kind "manual", never due', async () => {
    const { deps, stdout } = cliHarness({ store }, { clock: fixedClock(NOW) });
    expect(await runCli(['list', '--json', '--home', home], deps)).toBe(EXIT_OK);
    const { certificates } = JSON.parse(stdout());
    expect(certificates.map((c: { kind: string; name: string }) => [c.kind, c.name])).toEqual([
      ['acme', 'site'],
      ['manual', 'broken.crt'],
      ['manual', 'cert.crt'],
    ]);
    expect(certificates[2]).toEqual({
      kind: 'manual',
      name: 'cert.crt',
      domains: ['photos.example.com'],
      serial: manual.serial,
      notBefore: manual.notBefore.toISOString(),
      notAfter: '2026-12-07T12:00:00.000Z',
      daysLeft: 10,
      bundlePath: join(dir, 'cert.crt'),
      keyPath: join(dir, 'cert.crt.key'),
      problem: null,
      nextRenewal: null,
    });
    expect(certificates[1]).toMatchObject({
      kind: 'manual',
      keyPath: null,
      problem: `no private key: the file holds none and there is no "${join(dir, 'broken.crt.key')}"`,
    });
  });

  test('acme list prints the manual certificates in their own table under a line that says they are never renewed', async () => {
    const { deps, stdout } = cliHarness({ store }, { clock: fixedClock(NOW) });
    expect(await runCli(['list', '--home', home], deps)).toBe(EXIT_OK);
    const text = stdout();
    expect(text).toContain(
      `\nManual certificates in "${dir}" (served as they are, never renewed: to renew one, replace its files and restart HAProxy):\n`,
    );
    expect(text).toMatch(
      new RegExp(
        `^cert\\.crt +photos\\.example\\.com +${manual.serial} +2026-12-07T12:00:00\\.000Z +10 +cert\\.crt\\.key +ok$`,
        'm',
      ),
    );
    expect(text).toMatch(
      /^broken\.crt +photos\.example\.com +\S+ +\S+ +10 +- +NOT SERVED: no private key: the file holds none and there is no /m,
    );
  });

  test('acme list without stored certificates still shows the manual ones', async () => {
    const { deps, stdout } = cliHarness({ store: new MemoryCertificateStore({ home }) }, { clock: fixedClock(NOW) });
    expect(await runCli(['list', '--home', home], deps)).toBe(EXIT_OK);
    expect(stdout()).toMatch(
      /^No certificates in ".*" yet; obtain one with "acme issue -d <name>"\n\nManual certificates in /,
    );
  });

  test('acme renew renews nothing, exits 0 and leaves the manual files as they were, a broken one included', async () => {
    const before = await Promise.all(
      ['cert.crt', 'cert.crt.key', 'broken.crt'].map(async (name) => ({
        text: await readFile(join(dir, name), 'utf8'),
        mtime: (await stat(join(dir, name))).mtimeMs,
      })),
    );
    const { deps } = cliHarness({ store }, { clock: fixedClock(NOW) });
    expect(await runCli(['renew', '--home', home], deps)).toBe(EXIT_OK);
    const after = await Promise.all(
      ['cert.crt', 'cert.crt.key', 'broken.crt'].map(async (name) => ({
        text: await readFile(join(dir, name), 'utf8'),
        mtime: (await stat(join(dir, name))).mtimeMs,
      })),
    );
    expect(after).toEqual(before);
  });

  test("listManualCertificates() lists the certificates past the reader's cap with the reason they are not served", async () => {
    const rows = await listManualCertificates({
      clock: fixedClock(NOW),
      readManualCertificates: async () => ({
        directory: dir,
        certificates: [],
        notInspected: [join(dir, 'z.crt')],
        truncated: false,
      }),
    });
    expect(rows).toEqual([
      {
        kind: 'manual',
        name: 'z.crt',
        domains: [],
        serial: null,
        notBefore: null,
        notAfter: null,
        daysLeft: null,
        bundlePath: join(dir, 'z.crt'),
        keyPath: null,
        problem: 'not read: only the first 100 manual certificates by name are read and served',
        nextRenewal: null,
      },
    ]);
  });
});
