/** `acme doctor` through the CLI with in-memory stores, a real temp home and this machine's /proc. */
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { MemoryCertificateStore } from '../../../src/storage';
import { cliHarness } from '../cli/_harness';
import { certs, EC_LEAF_NAMES, NO_SUBJECT_NAMES } from '../../fixtures/certs';
import { LEGO_DIRECTORY, LEGO_FIXTURE } from '../migration/_lego';

const NOW = new Date('2026-11-27T00:00:00Z');

describe('acme doctor', () => {
  let home: string;
  let server: Server;
  let port: number;
  let store: MemoryCertificateStore;

  beforeAll(async () => {
    // A loopback listener on a free port: the "ports that should be local" check then has something to pass.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    store = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
    await store.saveCertificate({
      name: 'site',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-cli-'));
    await writeFile(join(home, 'lock'), '', { mode: 0o600 });
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('acme doctor --json on a healthy home exits 0 with every check in order, the unknown ones skipped', async () => {
    const { deps, stdout } = cliHarness({ store });
    expect(await runCli(['doctor', '--json', '--home', home, '--local-ports', String(port)], deps)).toBe(EXIT_OK);
    const document = JSON.parse(stdout());
    expect(document).toMatchObject({ schemaVersion: 1, ok: true, counts: { ok: 5, warn: 0, fail: 0, skip: 2 } });
    expect(document.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      ['challenge-route', 'skip'],
      ['runtime-socket', 'skip'],
      ['home-permissions', 'ok'],
      ['programs', 'ok'],
      ['expiry', 'ok'],
      ['manual-certificates', 'ok'],
      ['local-ports', 'ok'],
    ]);
    expect(document.checks[4]).toEqual({
      id: 'expiry',
      title: 'site expiry',
      status: 'ok',
      detail: 'expires 2126-11-03 (36500 days), next renewal 2093-07-11 (lifetime)',
      fix: null,
    });
  });

  test('acme doctor --json checks the expiry of a certificate without a subject (SANs only) like any other', async () => {
    const noSubject = new MemoryCertificateStore({ home: '/srv/acme', clock: fixedClock(NOW) });
    await noSubject.saveCertificate({
      name: 'example.net',
      certPem: certs.noSubjectLeaf,
      chainPem: certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
      meta: { domains: NO_SUBJECT_NAMES, directoryUrl: 'https://ca.example.test/dir' },
    });
    const { deps, stdout } = cliHarness({ store: noSubject });
    expect(await runCli(['doctor', '--json', '--home', home, '--local-ports', String(port)], deps)).toBe(EXIT_OK);
    expect(JSON.parse(stdout()).checks.find((c: { id: string }) => c.id === 'expiry')).toMatchObject({
      title: 'example.net expiry',
      status: 'ok',
    });
  });

  test('acme doctor fails the programs check with the fix when acme renew would refuse a hook directory', async () => {
    const refusal =
      'Refusing to start: Cannot run post-renew hooks from "/srv/acme/hooks/post-renew.d": "/srv/acme/hooks/post-renew.d" is owned by uid 1001, which is neither root nor the current user (uid 0); fix with "chown root /srv/acme/hooks/post-renew.d"';
    const { deps, stdout } = cliHarness({
      store,
      checkPrograms: async () => {
        throw new Error(refusal);
      },
    });
    expect(await runCli(['doctor', '--json', '--home', home, '--local-ports', String(port)], deps)).toBe(EXIT_FAILED);
    const check = JSON.parse(stdout()).checks.find((c: { id: string }) => c.id === 'programs');
    expect(check).toEqual({
      id: 'programs',
      title: 'hooks and reload command',
      status: 'fail',
      detail: `acme renew would refuse to start: ${refusal.replace('Refusing to start: ', '')}`,
      fix: 'Run "chown root /srv/acme/hooks/post-renew.d"',
    });
  });

  test('acme doctor exits 1 for a key file open to others and prints the fix', async () => {
    await writeFile(join(home, 'privkey.pem'), 'k');
    await chmod(join(home, 'privkey.pem'), 0o644);
    const { deps, stdout } = cliHarness({ store });
    expect(await runCli(['doctor', '--home', home, '--local-ports', String(port)], deps)).toBe(EXIT_FAILED);
    const text = stdout();
    expect(text).toMatch(
      new RegExp(`^FAIL +files under ${home} +open to group or others: "${home}/privkey.pem"$`, 'm'),
    );
    expect(text).toContain(`\nTo fix:\n  FAIL files under ${home}: Run: chmod 600 "${home}/privkey.pem"\n`);
    expect(text).toMatch(/\n1 failed, 0 warning\(s\), 4 ok, 2 skipped\n$/);
  });

  test('acme doctor --json in a home lego shares: a lego-adoption row after the file modes, from the dry-run adoption', async () => {
    await cp(LEGO_FIXTURE, home, { recursive: true });
    const { deps, stdout } = cliHarness({ store });
    await runCli(
      ['doctor', '--json', '--home', home, '--directory', LEGO_DIRECTORY, '--local-ports', String(port)],
      deps,
    );
    const { checks } = JSON.parse(stdout()) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(checks.map((c) => c.id).slice(2, 4)).toEqual(['home-permissions', 'lego-adoption']);
    expect(checks[3]).toMatchObject({
      title: `lego certificates in ${home}`,
      status: 'warn',
      detail: expect.stringMatching(
        /^not adopted yet: "one\.example\.test" \(serial 11A7BCC9AF5E90C8, valid to 2031-11-27\), "two\.example\.test" .*; ignored, never adopted: "\*\.wild\.example\.test" \(it has the wildcard name/,
      ),
    });
  });

  test('acme doctor exits 2 for a bad --local-ports', async () => {
    const { deps, stderr } = cliHarness({ store });
    expect(await runCli(['doctor', '--home', home, '--local-ports', '80,http'], deps)).toBe(EXIT_BAD_INPUT);
    expect(stderr()).toContain('Error: Invalid --local-ports "http": expected a whole number from 1 to 65535\n');
  });

  test('acme doctor --help shows an example', async () => {
    const { deps, stdout } = cliHarness({ store });
    expect(await runCli(['doctor', '--help'], deps)).toBe(EXIT_OK);
    expect(stdout()).toContain(
      '$ acme doctor --haproxy-socket /run/haproxy/admin.sock --preflight http://127.0.0.1:80\n',
    );
  });
});
