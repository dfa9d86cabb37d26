import { formatMeta, parseMeta, prepareCertificate } from '../../../src/storage/_prepare';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const meta = { domains: ['rsa.example.org'], directoryUrl: 'https://ca.example/dir' };

describe('prepareCertificate()', () => {
  test.each<[string, { certPem: string; chainPem: string }]>([
    ['a leaf and a separate chain', { certPem: certs.rsaLeaf, chainPem: certs.ecIntermediate }],
    [
      'a full chain with root and an empty chain',
      { certPem: certs.rsaLeaf + certs.ecIntermediate + certs.ecRoot, chainPem: '' },
    ],
    [
      'CRLF text and a root in the chain',
      { certPem: certs.rsaLeaf.replace(/\n/g, '\r\n'), chainPem: `${certs.ecIntermediate}\n${certs.ecRoot}` },
    ],
  ])('prepareCertificate() accepts %s and builds the same files', (_label, pems) => {
    const prepared = prepareCertificate({ name: 'RSA.example.org', keyPem: certs.rsaLeafPkcs1Key, meta, ...pems }, NOW);
    expect(prepared).toEqual({
      name: 'rsa.example.org',
      certPem: certs.rsaLeaf,
      chainPem: certs.ecIntermediate,
      fullchainPem: certs.rsaLeaf + certs.ecIntermediate,
      keyPem: certs.rsaLeafPkcs1Key,
      bundle: certs.rsaLeaf + certs.ecIntermediate + certs.rsaLeafPkcs1Key,
      meta: {
        name: 'rsa.example.org',
        domains: ['rsa.example.org'],
        keyType: 'rsa2048',
        serial: '7F00AA',
        notBefore: '2026-11-27T00:35:54.000Z',
        notAfter: '2126-11-03T00:35:54.000Z',
        directoryUrl: 'https://ca.example/dir',
        issuedAt: '2026-11-27T10:00:00.000Z',
        sha1Fingerprint: 'AA7BD6645C6ADAD3F77A60D7FB4981C6564EB9D7',
        version: '20261127T100000Z-7F00AA',
      },
    });
  });

  test("prepareCertificate() accepts a leaf without a subject (SANs only, DNS and IP), as Let's Encrypt issues today", () => {
    const input = {
      name: '192.0.2.10',
      certPem: certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectRoot,
      chainPem: '',
      keyPem: certs.noSubjectLeafKey,
    };
    const prepared = prepareCertificate(
      { ...input, meta: { domains: NO_SUBJECT_NAMES, directoryUrl: 'https://ca.example/dir', profile: 'shortlived' } },
      NOW,
    );
    expect(prepared).toMatchObject({
      name: '192.0.2.10',
      bundle: certs.noSubjectLeaf + certs.noSubjectIntermediate + certs.noSubjectLeafKey,
      meta: {
        domains: NO_SUBJECT_NAMES,
        keyType: 'ec256',
        serial: '9ABCDEF0123456789ABC',
        version: '20261127T100000Z-9ABCDEF012345678',
        profile: 'shortlived',
      },
    });
  });

  test('prepareCertificate() keeps issuedAt and ignores derived fields given by the caller', () => {
    const given = {
      ...meta,
      issuedAt: '2026-01-01T00:00:00.000Z',
      serial: 'BOGUS',
      version: 'mine',
      keyType: 'rsa9999',
    };
    const prepared = prepareCertificate(
      { name: 'x', certPem: certs.rsaLeaf, chainPem: '', keyPem: certs.rsaLeafKey, meta: given },
      NOW,
    );
    expect([prepared.meta.issuedAt, prepared.meta.serial, prepared.meta.version, prepared.meta.keyType]).toEqual([
      '2026-01-01T00:00:00.000Z',
      '7F00AA',
      '20261127T100000Z-7F00AA',
      'rsa2048',
    ]);
  });
});

describe('parseMeta() and formatMeta()', () => {
  test('formatMeta() output parses back to the same object', () => {
    const { meta: full } = prepareCertificate(
      { name: 'x', certPem: certs.rsaLeaf, chainPem: '', keyPem: certs.rsaLeafKey, meta },
      NOW,
    );
    const text = formatMeta(full);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseMeta(text, '/m.json')).toEqual(full);
  });

  test.each<[string, string]>([
    [
      '[]',
      'Cannot read certificate metadata "/m.json": field "(root)" is invalid (Invalid input: expected object, received array); delete the certificate and issue it again',
    ],
    ['', 'Cannot read certificate metadata "/m.json": it is not JSON; delete the certificate and issue it again'],
    [
      'null',
      'Cannot read certificate metadata "/m.json": field "(root)" is invalid (Invalid input: expected object, received null); delete the certificate and issue it again',
    ],
  ])('parseMeta(%j) throws STORAGE_CORRUPT', (text, message) => {
    expect(() => parseMeta(text, '/m.json')).toThrow(
      expect.objectContaining({ code: 'STORAGE_CORRUPT', path: '/m.json', message }),
    );
  });
});
