import { runCli, EXIT_OK, EXIT_BAD_INPUT, EXIT_FAILED } from '../../../src/cli';
import { MemoryCertificateStore } from '../../../src/storage';
import { cliHarness } from './_harness';
import { StorageError } from '../../../src/errors';
import { certs, EC_LEAF_NAMES } from '../../fixtures/certs';

function harness(store = new MemoryCertificateStore({ home: '/srv/acme' })) {
  return { ...cliHarness({ store }), store };
}

describe('runCli()', () => {
  test.each([
    [['--version'], EXIT_OK, '9.9.9\n'],
    [['--help'], EXIT_OK, 'Exit codes: 0 success, 1 the operation failed, 2 bad input or configuration.'],
    [['issue', '--help'], EXIT_OK, '$ acme issue -d photos.example.com'],
    [['list', '--help'], EXIT_OK, '$ acme list --json | jq'],
  ])('runCli(%j) exits %d and prints help or version on stdout', async (argv, code, expected) => {
    const { deps, stdout } = harness();
    expect(await runCli(argv, deps)).toBe(code);
    expect(stdout()).toContain(expected);
  });

  test.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['issue', '--domian', 'a.example.com'], "unknown option '--domian'"],
    [
      ['issue', '--key-type', 'dsa'],
      "argument 'dsa' is invalid. Allowed choices are ec256, ec384, rsa2048, rsa3072, rsa4096.",
    ],
    [['issue', '-d'], "option '-d, --domain <name>' argument missing"],
  ])('runCli(%j) is a usage error: exit 2 and a message on stderr', async (argv, message) => {
    const { deps, stderr } = harness();
    expect(await runCli(argv, deps)).toBe(EXIT_BAD_INPUT);
    expect(stderr()).toContain(message);
  });

  test.each([
    [
      ['issue', '-d', '*.example.com'],
      'Error: Invalid --domain "*.example.com": HTTP-01 cannot validate wildcard names',
    ],
    [['issue'], 'Error: Missing --domain: acme issue needs at least one DNS name'],
    [['list', '-v', '-q'], 'Error: Cannot combine --verbose and --quiet: choose one'],
    [
      ['renew', '--until', 'tomorrow'],
      'Error: Invalid --until "tomorrow": expected an ISO 8601 time such as "2026-12-01T06:00:00Z"',
    ],
  ])('runCli(%j) rejects the configuration with exit 2, the message and a hint', async (argv, message) => {
    const { deps, stderr, stdout } = harness();
    expect(await runCli(argv, deps)).toBe(EXIT_BAD_INPUT);
    expect(stderr()).toContain(message);
    expect(stderr()).toContain('Hint: Run "acme <command> --help" for the accepted values');
    expect(stdout()).toBe('');
  });

  test('runCli(["list"]) explains what to do when nothing is stored', async () => {
    const { deps, stdout } = harness();
    expect(await runCli(['list', '--home', '/srv/acme'], deps)).toBe(EXIT_OK);
    expect(stdout()).toBe('No certificates in "/srv/acme" yet; obtain one with "acme issue -d <name>"\n');
  });

  test('runCli(["list", "--json"]) prints a stable document with days left computed from the clock', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme' });
    await store.saveCertificate({
      name: 'ec-leaf',
      certPem: certs.ecLeaf,
      chainPem: certs.ecIntermediate,
      keyPem: certs.ecLeafKey,
      meta: { domains: EC_LEAF_NAMES.slice(0, 2), directoryUrl: 'https://ca.example.test/dir' },
    });
    const { deps, stdout } = harness(store);
    expect(await runCli(['list', '--json', '--home', '/srv/acme'], deps)).toBe(EXIT_OK);
    const document = JSON.parse(stdout());
    expect(Object.keys(document)).toEqual(['schemaVersion', 'ok', 'certificates']);
    expect(document.certificates).toHaveLength(1);
    expect(Object.keys(document.certificates[0]).sort()).toEqual([
      'adoptedFrom',
      'ari',
      'bundlePath',
      'daysLeft',
      'domains',
      'endpoints',
      'failuresTotal',
      'hooks',
      'keyType',
      'kind',
      'lastError',
      'lastFailureAt',
      'lastSuccessAt',
      'name',
      'nextRenewal',
      'nodes',
      'notAfter',
      'notBefore',
      'profile',
      'serial',
    ]);
    const expectedDays = Math.floor(
      (Date.parse(document.certificates[0].notAfter) - Date.parse('2026-11-27T00:00:00Z')) / 86_400_000,
    );
    expect(document.certificates[0]).toMatchObject({ name: 'ec-leaf', keyType: 'ec256', daysLeft: expectedDays });
  });

  test('runCli() maps a storage failure to exit 1 and a JSON error document with --json', async () => {
    const store = new MemoryCertificateStore({ home: '/srv/acme' });
    store.listCertificateNames = async () => {
      throw new StorageError('STORAGE_CORRUPT', 'Cannot read "/srv/acme/certificates/x/meta.json": invalid JSON', {
        path: '/srv/acme/certificates/x/meta.json',
      });
    };
    const { deps, stdout, stderr } = harness(store);
    expect(await runCli(['list', '--json'], deps)).toBe(EXIT_FAILED);
    expect(JSON.parse(stdout())).toEqual({
      schemaVersion: 1,
      ok: false,
      error: {
        code: 'STORAGE_CORRUPT',
        message: 'Cannot read "/srv/acme/certificates/x/meta.json": invalid JSON',
        hint: 'Move the damaged file aside and run the command again',
        retryable: false,
      },
    });
    expect(stderr()).toContain('Error: Cannot read "/srv/acme/certificates/x/meta.json": invalid JSON');
  });
});
