import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import * as acme from 'acme-client';
import { ACME_CRYPTO, createAcmeHttp, type AcmeRequestConfig, type AcmeResponse } from '../../../src/acme/_lib';

/** A stand-in HTTP client whose adapter records each request and answers with `body`. */
function recording(body: unknown): { http: ReturnType<typeof createAcmeHttp>; seen: AcmeRequestConfig[] } {
  const http = createAcmeHttp();
  const seen: AcmeRequestConfig[] = [];
  http.defaults.adapter = async (config: AcmeRequestConfig): Promise<AcmeResponse> => {
    seen.push(config);
    return { data: body, status: 200, statusText: 'OK', headers: { 'replay-nonce': 'n1' }, config };
  };
  return { http, seen };
}

describe('createAcmeHttp()', () => {
  test("createAcmeHttp().request() sends what acme-client's axios instance sent for a signed POST", async () => {
    const { http, seen } = recording('');
    await http.request({
      url: 'https://ca.test/new-order',
      method: 'post',
      validateStatus: null,
      headers: { 'Content-Type': 'application/jose+json' },
      data: { protected: 'p', payload: '', signature: 's' },
    });
    expect(seen.map(({ url, method, headers, data }) => ({ url, method, headers, data }))).toEqual([
      {
        url: 'https://ca.test/new-order',
        method: 'post',
        headers: {
          Accept: 'application/json, text/plain, */*',
          'Content-Type': 'application/jose+json',
          'User-Agent': 'node-acme-client/5.4.0',
        },
        data: '{"protected":"p","payload":"","signature":"s"}',
      },
    ]);
  });

  test('createAcmeHttp().get() sends a GET without a body, with the caller’s Accept', async () => {
    const { http, seen } = recording('');
    await http.get('https://ca.test/renewal-info/x', { validateStatus: null, headers: { Accept: 'application/json' } });
    expect(seen.map(({ method, headers, data }) => ({ method, headers, data }))).toEqual([
      {
        method: 'get',
        headers: { Accept: 'application/json', 'User-Agent': 'node-acme-client/5.4.0' },
        data: undefined,
      },
    ]);
  });

  test.each<[string, unknown, unknown]>([
    ['parses a JSON string answer, as axios did', '{"status":"valid"}', { status: 'valid' }],
    ['parses a JSON number string', '42', 42],
    ['keeps a PEM string', '-----BEGIN CERTIFICATE-----\nMII=', '-----BEGIN CERTIFICATE-----\nMII='],
    ['keeps an empty string', '', ''],
    ['keeps a truncated JSON string', '{"status":', '{"status":'],
    ['keeps an object the adapter decoded', { status: 'pending' }, { status: 'pending' }],
    ['keeps undefined', undefined, undefined],
  ])('createAcmeHttp().request() %s', async (_name, body, expected) => {
    const { http } = recording(body);
    expect((await http.request({ url: 'https://ca.test/x', method: 'HEAD' })).data).toEqual(expected);
  });

  test.each<[string, unknown, string | undefined]>([
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['a string as given', 'raw', 'raw'],
  ])('createAcmeHttp().request() sends a body of %s', async (_name, body, sent) => {
    const { http, seen } = recording('');
    await http.request({ url: 'https://ca.test/x', method: 'POST', data: body });
    expect([seen[0]?.method, seen[0]?.data ?? undefined]).toEqual(['post', sent]);
  });

  test('createAcmeHttp().request() refuses to send without an adapter', async () => {
    await expect(createAcmeHttp().request({ url: 'https://ca.test/x' })).rejects.toThrow(
      'Cannot send an ACME request: no HTTP adapter is installed; call installTransport() first',
    );
  });
});

describe('ACME_CRYPTO', () => {
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();

  test.each([
    ['an EC PKCS#8 key', ecKey],
    ['an RSA PKCS#1 key', rsaKey],
  ])('ACME_CRYPTO.getJwk() returns what acme-client returns for %s, members in order', (_name, key) => {
    const ours = ACME_CRYPTO.getJwk(key);
    const theirs = acme.crypto.getJwk(key);
    expect([JSON.stringify(ours), Object.keys(ours)]).toEqual([JSON.stringify(theirs), Object.keys(theirs)]);
  });

  test.each<[string, string]>([
    ['a CSR', `-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----`],
    [
      'a chain (the first object)',
      `-----BEGIN CERTIFICATE-----\nAQID+/8=\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n`,
    ],
    ['CRLF line ends', `-----BEGIN CERTIFICATE-----\r\nAQID\r\n+/8=\r\n-----END CERTIFICATE-----\r\n`],
    ['text before the object', `subject=CN = a\n-----BEGIN CERTIFICATE-----\nAQID+/8=\n-----END CERTIFICATE-----`],
  ])('ACME_CRYPTO.getPemBodyAsB64u() reads %s as acme-client does', (_name, pem) => {
    expect(ACME_CRYPTO.getPemBodyAsB64u(pem)).toBe(acme.crypto.getPemBodyAsB64u(pem));
  });

  test.each<[string, string]>([
    ['an empty string', ''],
    ['text without PEM', 'hello'],
    ['a BEGIN without its END', '-----BEGIN CERTIFICATE-----\nAQID\n'],
    ['mismatched labels', '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----'],
  ])('ACME_CRYPTO.getPemBodyAsB64u() refuses %s', (_name, pem) => {
    expect(() => ACME_CRYPTO.getPemBodyAsB64u(pem)).toThrow('Unable to parse PEM body from string');
  });

  test.each(['splitPemChain', 'readCertificateInfo', 'readCsrDomains', 'isAlpnCertificateAuthorizationValid'] as const)(
    'ACME_CRYPTO.%s() says it is not loaded',
    (name) => {
      expect(() => ACME_CRYPTO[name]()).toThrow(
        `Cannot run acme-client's ${name}(): its X.509 helpers are not loaded in haproxy-acme`,
      );
    },
  );
});

describe('acmeLib()', () => {
  test('acmeLib() in a plain Node process loads acme-client without axios, node-forge or @peculiar/x509', () => {
    const lib = join(__dirname, '..', '..', '..', 'src', 'acme', '_lib.ts');
    const script = `
      const { acmeLib } = require(${JSON.stringify(lib)});
      const { Client, axios } = acmeLib();
      const packages = new Set(Object.keys(require.cache).flatMap((file) => {
        const match = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file);
        return match ? [match[1]] : [];
      }));
      console.log(JSON.stringify({ client: typeof Client, request: typeof axios.request, packages: [...packages].sort() }));`;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const { client, request, packages } = JSON.parse(output) as { client: string; request: string; packages: string[] };
    const heavy = ['axios', 'form-data', 'mime-db', 'node-forge', '@peculiar/x509', 'asn1js', 'tsyringe'];
    expect([
      client,
      request,
      packages.includes('acme-client'),
      packages.filter((name) => heavy.includes(name)),
    ]).toEqual(['function', 'function', true, []]);
  });
});
