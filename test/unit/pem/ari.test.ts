import { X509Certificate } from 'node:crypto';
import { CertificateError } from '../../../src/errors';
import { ariCertId, ariCertIdHasSerial } from '../../../src/pem';
import { certs } from '../../fixtures/certs';

// Leaves made with the openssl 3.0 CLI under a CA whose subjectKeyIdentifier is the RFC 9773
// §4.1 example (69:88:5B:…:C8:D4), so the leaves' AKI keyIdentifier is that value:
//   openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial <serial> \
//     -extfile <(echo authorityKeyIdentifier=keyid) -out leaf.pem
// `noaki` used `authorityKeyIdentifier=none`, `issueronly` `authorityKeyIdentifier=issuer:always`,
// `v1` no -extfile (a version 1 certificate), `badaki` `2.5.29.35=DER:0403010203` (an OCTET STRING
// where the AuthorityKeyIdentifier SEQUENCE belongs).
const pem = {
  rfc: `
-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIFAIdlQyEwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLQVJJ
IHRlc3QgQ0EwIBcNMjYxMTI3MDE0MzAwWhgPMjEyNjExMDMwMTQzMDBaMBYxFDAS
BgNVBAMMC2FyaS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQZ6I
E3bohXVK49ziq9IlEQ51l5EuTsRKsW9SF/5V7JrUsvchyF5mO0pqbCDIrI7D0Iez
bUstuwAal0f8sltNxqNoMGYwDAYDVR0TAQH/BAIwADAWBgNVHREEDzANggthcmku
ZXhhbXBsZTAfBgNVHSMEGDAWgBRpiFtrh0ZAQeGze4R7oK4s3gHI1DAdBgNVHQ4E
FgQUQDH/S0tcYFvspEXxzFViBuGxEy4wCgYIKoZIzj0EAwIDSAAwRQIgYJcR75hC
CM1Vnq91+NEM8HvS2it6mos1E+C3/rl1LE0CIQDGKqeeeJ/20pkggfn77AUR8eLe
hNpoa47rML7Gp7oGRQ==
-----END CERTIFICATE-----
`,
  s80: `
-----BEGIN CERTIFICATE-----
MIIBhTCCASygAwIBAgICAIAwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLQVJJIHRl
c3QgQ0EwIBcNMjYxMTI3MDE0MzAwWhgPMjEyNjExMDMwMTQzMDBaMBYxFDASBgNV
BAMMC2FyaS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQZ6IE3bo
hXVK49ziq9IlEQ51l5EuTsRKsW9SF/5V7JrUsvchyF5mO0pqbCDIrI7D0IezbUst
uwAal0f8sltNxqNoMGYwDAYDVR0TAQH/BAIwADAWBgNVHREEDzANggthcmkuZXhh
bXBsZTAfBgNVHSMEGDAWgBRpiFtrh0ZAQeGze4R7oK4s3gHI1DAdBgNVHQ4EFgQU
QDH/S0tcYFvspEXxzFViBuGxEy4wCgYIKoZIzj0EAwIDRwAwRAIgDnWCUOshNSLo
cQg3kKGwHdc6JW3B4qI5ooaCAdaCxfICIH3ifWPND7xD97D1ycWIuQrqJ6vE+/pX
7JPlASHd0Kyu
-----END CERTIFICATE-----
`,
  s7f: `
-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIBfzAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtBUkkgdGVz
dCBDQTAgFw0yNjExMjcwMTQzMDBaGA8yMTI2MTEwMzAxNDMwMFowFjEUMBIGA1UE
AwwLYXJpLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARBnogTduiF
dUrj3OKr0iURDnWXkS5OxEqxb1IX/lXsmtSy9yHIXmY7SmpsIMisjsPQh7NtSy27
ABqXR/yyW03Go2gwZjAMBgNVHRMBAf8EAjAAMBYGA1UdEQQPMA2CC2FyaS5leGFt
cGxlMB8GA1UdIwQYMBaAFGmIW2uHRkBB4bN7hHugrizeAcjUMB0GA1UdDgQWBBRA
Mf9LS1xgW+ykRfHMVWIG4bETLjAKBggqhkjOPQQDAgNIADBFAiEAhr6t2VA6OSLZ
yDtAoRA08srqJdGWQZj/xkPr+9jsvfcCIDYc6t5GIJ3pabS83xxXYBLg3jsm73tW
3vCrJFmKEAiV
-----END CERTIFICATE-----
`,
  s0: `
-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIBADAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtBUkkgdGVz
dCBDQTAgFw0yNjExMjcwMTQzMDBaGA8yMTI2MTEwMzAxNDMwMFowFjEUMBIGA1UE
AwwLYXJpLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARBnogTduiF
dUrj3OKr0iURDnWXkS5OxEqxb1IX/lXsmtSy9yHIXmY7SmpsIMisjsPQh7NtSy27
ABqXR/yyW03Go2gwZjAMBgNVHRMBAf8EAjAAMBYGA1UdEQQPMA2CC2FyaS5leGFt
cGxlMB8GA1UdIwQYMBaAFGmIW2uHRkBB4bN7hHugrizeAcjUMB0GA1UdDgQWBBRA
Mf9LS1xgW+ykRfHMVWIG4bETLjAKBggqhkjOPQQDAgNIADBFAiAgsGd5P2UXV8Wb
4odtAMpmNyZZ9p/l3j3Gwsj3jWV+dgIhAO2FHHxSrhXYmsPj5SDmNIG2UX6thb/v
J/UZ7cWZZDQR
-----END CERTIFICATE-----
`,
  s20: `
-----BEGIN CERTIFICATE-----
MIIBmTCCAT+gAwIBAgIVAP/u3cy7qpmId2ZVRDMiEQD/7t3MMAoGCCqGSM49BAMC
MBYxFDASBgNVBAMMC0FSSSB0ZXN0IENBMCAXDTI2MTEyNzAxNDMwMFoYDzIxMjYx
MTAzMDE0MzAwWjAWMRQwEgYDVQQDDAthcmkuZXhhbXBsZTBZMBMGByqGSM49AgEG
CCqGSM49AwEHA0IABEGeiBN26IV1SuPc4qvSJREOdZeRLk7ESrFvUhf+Veya1LL3
IcheZjtKamwgyKyOw9CHs21LLbsAGpdH/LJbTcajaDBmMAwGA1UdEwEB/wQCMAAw
FgYDVR0RBA8wDYILYXJpLmV4YW1wbGUwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uE
e6CuLN4ByNQwHQYDVR0OBBYEFEAx/0tLXGBb7KRF8cxVYgbhsRMuMAoGCCqGSM49
BAMCA0gAMEUCIA6fV3K3Wc+ZiZhW73g6dr0r9KTLtuksy5OgPS/3dTiDAiEA+PBL
6VtnJ7W0NuQTAUwnh8MvqrqDp2bCpCiHeKdmWuU=
-----END CERTIFICATE-----
`,
  neg: `
-----BEGIN CERTIFICATE-----
MIIBhDCCASugAwIBAgIB/zAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtBUkkgdGVz
dCBDQTAgFw0yNjExMjcwMTQzMDBaGA8yMTI2MTEwMzAxNDMwMFowFjEUMBIGA1UE
AwwLYXJpLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARBnogTduiF
dUrj3OKr0iURDnWXkS5OxEqxb1IX/lXsmtSy9yHIXmY7SmpsIMisjsPQh7NtSy27
ABqXR/yyW03Go2gwZjAMBgNVHRMBAf8EAjAAMBYGA1UdEQQPMA2CC2FyaS5leGFt
cGxlMB8GA1UdIwQYMBaAFGmIW2uHRkBB4bN7hHugrizeAcjUMB0GA1UdDgQWBBRA
Mf9LS1xgW+ykRfHMVWIG4bETLjAKBggqhkjOPQQDAgNHADBEAiAsQPJiNweDwD4x
jgq2Q0cxCt94k2HPF4xGwCz9SSZTIgIgQn3ZY6JTOpPa7RYgm9H0UFpr/FsGr1hS
JETNTHp/JCk=
-----END CERTIFICATE-----
`,
  issueronly: `
-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgICEjQwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLQVJJIHRl
c3QgQ0EwIBcNMjYxMTI3MDE0MzAwWhgPMjEyNjExMDMwMTQzMDBaMBYxFDASBgNV
BAMMC2FyaS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQZ6IE3bo
hXVK49ziq9IlEQ51l5EuTsRKsW9SF/5V7JrUsvchyF5mO0pqbCDIrI7D0IezbUst
uwAal0f8sltNxqNxMG8wDAYDVR0TAQH/BAIwADAWBgNVHREEDzANggthcmkuZXhh
bXBsZTAoBgNVHSMEITAfoRqkGDAWMRQwEgYDVQQDDAtBUkkgdGVzdCBDQYIBATAd
BgNVHQ4EFgQUQDH/S0tcYFvspEXxzFViBuGxEy4wCgYIKoZIzj0EAwIDRwAwRAIg
abwiMb2WPeDrhukNiDsi860qSynnKxvV3V8/WKmnQGECIE+Lf/Tb0qgQD5IKKaOA
yygKv6pGtxZ86wdQvfL+UomM
-----END CERTIFICATE-----
`,
  noaki: `
-----BEGIN CERTIFICATE-----
MIIBNjCB3qADAgECAgISNTAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtBUkkgdGVz
dCBDQTAgFw0yNjExMjcwMTQzMDNaGA8yMTI2MTEwMzAxNDMwM1owFjEUMBIGA1UE
AwwLYXJpLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARBnogTduiF
dUrj3OKr0iURDnWXkS5OxEqxb1IX/lXsmtSy9yHIXmY7SmpsIMisjsPQh7NtSy27
ABqXR/yyW03GoxowGDAWBgNVHREEDzANggthcmkuZXhhbXBsZTAKBggqhkjOPQQD
AgNHADBEAiB4loyN+xlm4UYJ4z5hVCCtUROlj0BLbKaf2VAlD+1aWAIgYRt8p1Bq
1eZlQ/sBls9V953wfkrz+C9kes4X3KZ2tk0=
-----END CERTIFICATE-----
`,
  v1: `
-----BEGIN CERTIFICATE-----
MIIBFzCBvQICEjYwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLQVJJIHRlc3QgQ0Ew
IBcNMjYxMTI3MDE0MzAzWhgPMjEyNjExMDMwMTQzMDNaMBYxFDASBgNVBAMMC2Fy
aS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQZ6IE3bohXVK49zi
q9IlEQ51l5EuTsRKsW9SF/5V7JrUsvchyF5mO0pqbCDIrI7D0IezbUstuwAal0f8
sltNxjAKBggqhkjOPQQDAgNJADBGAiEAlO8HagNEb5v2N/CwZ2y43iKPnoajlpQK
EHIsFcdrSXECIQDsYZGoBy1yEoyci1YBo4tBzUZPkutotVuxzwlsVRbiOw==
-----END CERTIFICATE-----
`,
  badaki: `
-----BEGIN CERTIFICATE-----
MIIBLDCB1KADAgECAgISNzAKBggqhkjOPQQDAjAWMRQwEgYDVQQDDAtBUkkgdGVz
dCBDQTAgFw0yNjExMjcwMTQzMzBaGA8yMTI2MTEwMzAxNDMzMFowFjEUMBIGA1UE
AwwLYXJpLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARBnogTduiF
dUrj3OKr0iURDnWXkS5OxEqxb1IX/lXsmtSy9yHIXmY7SmpsIMisjsPQh7NtSy27
ABqXR/yyW03GoxAwDjAMBgNVHSMEBQQDAQIDMAoGCCqGSM49BAMCA0cAMEQCIBFy
Y8pOpzUs150FK2tCsUqUnHty8YMPtKL29YmceSn7AiB/XYMdJHKchel5EnIIcdUT
RrTtV8xTIKC6V2r5DYXB4w==
-----END CERTIFICATE-----
`,
};

/**
 * Independent reference: what `openssl x509 -noout -serial -ext authorityKeyIdentifier` printed,
 * turned into a CertID by hand: hex → bytes, a 00 sign byte before a serial whose first byte is
 * ≥ 0x80 (DER INTEGER rule, X.690 §8.3), base64url without padding.
 */
function certIdFromOpensslOutput(akiColonHex: string, serialHex: string): string {
  const serial = /^[89a-f]/i.test(serialHex) ? `00${serialHex}` : serialHex;
  return `${Buffer.from(akiColonHex.replace(/:/g, ''), 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

const RFC_AKI = '69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4';
const FIXTURE_INTERMEDIATE_AKI = '35:8F:58:AC:3D:CB:2F:78:91:73:F4:2D:4E:4C:F5:F7:3B:D9:77:9B';
const FIXTURE_ROOT_AKI = '8D:9D:36:02:7B:01:A2:7F:44:D1:85:32:1E:DF:FF:9B:47:78:1F:E3';
const NO_SUBJECT_AKI = '4A:AC:D5:30:DC:BA:C2:F7:EA:51:BD:85:FD:4E:89:6A:E5:AC:28:7B';

describe('ariCertId()', () => {
  // [label, PEM, openssl -ext authorityKeyIdentifier, openssl -serial, expected CertID]
  test.each<[string, string, string, string, string]>([
    [
      'the RFC 9773 §4.1 example (serial 0x87654321 keeps its 00 byte)',
      pem.rfc,
      RFC_AKI,
      '87654321',
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    ],
    ['a one-byte serial with the high bit set (0x80)', pem.s80, RFC_AKI, '80', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIA'],
    [
      'the largest one-byte serial without a sign byte (0x7F)',
      pem.s7f,
      RFC_AKI,
      '7F',
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.fw',
    ],
    ['serial zero', pem.s0, RFC_AKI, '00', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AA'],
    [
      'a 20-byte serial starting 0xFF (21 DER bytes)',
      pem.s20,
      RFC_AKI,
      'FFEEDDCCBBAA99887766554433221100FFEEDDCC',
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AP_u3cy7qpmId2ZVRDMiEQD_7t3M',
    ],
    [
      'the EC leaf fixture (serial 0x8765…3210)',
      certs.ecLeaf,
      FIXTURE_INTERMEDIATE_AKI,
      '87654321FEDCBA9876543210',
      'NY9YrD3LL3iRc_QtTkz19zvZd5s.AIdlQyH-3LqYdlQyEA',
    ],
    [
      'the renewed EC leaf fixture (serial 0x0123…0011)',
      certs.ecLeaf2,
      FIXTURE_INTERMEDIATE_AKI,
      '0123456789ABCDEF0011',
      'NY9YrD3LL3iRc_QtTkz19zvZd5s.ASNFZ4mrze8AEQ',
    ],
    [
      'the RSA leaf fixture (serial 0x7F00AA)',
      certs.rsaLeaf,
      FIXTURE_INTERMEDIATE_AKI,
      '7F00AA',
      'NY9YrD3LL3iRc_QtTkz19zvZd5s.fwCq',
    ],
    [
      'the root fixture (serial 0x01, AKI = its own SKI)',
      certs.ecRoot,
      FIXTURE_ROOT_AKI,
      '01',
      'jZ02AnsBon9E0YUyHt__m0d4H-M.AQ',
    ],
    [
      'a leaf without a subject, with a critical SAN (serial 0x9ABC…9ABC)',
      certs.noSubjectLeaf,
      NO_SUBJECT_AKI,
      '9ABCDEF0123456789ABC',
      'SqzVMNy6wvfqUb2F_U6JauWsKHs.AJq83vASNFZ4mrw',
    ],
  ])('ariCertId() computes %s', (_label, leafPem, opensslAki, opensslSerial, expected) => {
    expect(certIdFromOpensslOutput(opensslAki, opensslSerial)).toBe(expected);
    expect(ariCertId(leafPem)).toBe(expected);
  });

  test('ariCertId() keeps the sign byte that X509Certificate.serialNumber drops', () => {
    expect(new X509Certificate(pem.rfc).serialNumber).toBe('87654321');
    expect(ariCertId(pem.rfc).split('.')[1]).toBe(Buffer.from('0087654321', 'hex').toString('base64url'));
  });

  test.each<[string, string, string]>([
    [
      'a leaf before its chain and key',
      certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey,
      'NY9YrD3LL3iRc_QtTkz19zvZd5s.AIdlQyH-3LqYdlQyEA',
    ],
    [
      'CRLF text with Bag Attributes',
      `Bag Attributes\r\n${pem.rfc.replace(/\n/g, '\r\n')}`,
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    ],
    ['a negative serial (hostile; DER byte FF)', pem.neg, 'aYhba4dGQEHhs3uEe6CuLN4ByNQ._w'],
  ])('ariCertId() reads %s', (_label, leafPem, expected) => {
    expect(ariCertId(leafPem)).toBe(expected);
  });

  test.each<[string, string, string]>([
    ['the empty string', '', 'Cannot compute the ARI CertID: the text holds no "CERTIFICATE" block'],
    ['only a key', certs.ecLeafKey, 'Cannot compute the ARI CertID: the text holds no "CERTIFICATE" block'],
    [
      'a truncated certificate',
      certs.ecLeaf.replace(/\n[^\n]*\n-----END/, '\n-----END'),
      'Cannot parse certificate: error:0680009B:asn1 encoding routines::too long',
    ],
    [
      'a certificate without an AKI extension',
      pem.noaki,
      'Cannot compute the ARI CertID of the certificate with serial "1235": it has no Authority Key Identifier extension; renew it by the lifetime rule instead',
    ],
    [
      'a version 1 certificate (no extensions at all)',
      pem.v1,
      'Cannot compute the ARI CertID of the certificate with serial "1236": it has no Authority Key Identifier extension; renew it by the lifetime rule instead',
    ],
    [
      'an AKI with only issuer and serial',
      pem.issueronly,
      'Cannot compute the ARI CertID of the certificate with serial "1234": its Authority Key Identifier has no keyIdentifier; renew it by the lifetime rule instead',
    ],
    [
      'an AKI extension that is not a SEQUENCE',
      pem.badaki,
      'Cannot compute the ARI CertID of the certificate with serial "1237": expected AuthorityKeyIdentifier SEQUENCE at byte 214, found tag 0x04',
    ],
  ])('ariCertId() rejects %s', (_label, leafPem, message) => {
    expect(() => ariCertId(leafPem)).toThrow(
      expect.objectContaining({ name: CertificateError.name, code: 'CERTIFICATE_INVALID', message }),
    );
  });
});

describe('ariCertIdHasSerial()', () => {
  // The serial as the store keeps it: X509Certificate.serialNumber, which drops the sign byte.
  test.each<[string, string]>([
    ['the RFC example (CertID keeps 00, serialNumber drops it)', pem.rfc],
    ['a serial with the high bit set', pem.s80],
    ['serial zero', pem.s0],
    ['a 20-byte serial starting 0xFF', pem.s20],
    ['the EC leaf fixture', certs.ecLeaf],
    ['the renewed EC leaf fixture (leading 01)', certs.ecLeaf2],
  ])('ariCertIdHasSerial() matches the stored serial of %s', (_label, leafPem) => {
    expect(ariCertIdHasSerial(ariCertId(leafPem), new X509Certificate(leafPem).serialNumber)).toBe(true);
  });

  test.each<[string, string, string]>([
    ["another certificate's serial", 'NY9YrD3LL3iRc_QtTkz19zvZd5s.AIdlQyH-3LqYdlQyEA', '0123456789ABCDEF0011'],
    ['a serial one digit longer', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', '876543210'],
    ['no dot', 'aYhba4dGQEHhs3uEe6CuLN4ByNQAIdlQyE', '87654321'],
    ['two dots', 'a.AIdlQyE.x', '87654321'],
    ['an empty serial part', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.', ''],
    ['a serial part that is not base64url', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl+yE=', '87654321'],
    ['a serial that is not hex', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', '8765432G'],
    ['an empty CertID', '', '00'],
  ])('ariCertIdHasSerial() rejects %s', (_label, certId, serial) => {
    expect(ariCertIdHasSerial(certId, serial)).toBe(false);
  });
});
