import { redactSecrets } from '../../../src/log';

const THUMBPRINT = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';

describe('redactSecrets()', () => {
  test.each([
    [
      'plain text is unchanged',
      'Cannot reach "https://x/dir": ECONNREFUSED',
      'Cannot reach "https://x/dir": ECONNREFUSED',
    ],
    [
      'a PKCS#8 key block is replaced',
      'before -----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\nabc\n-----END PRIVATE KEY----- after',
      'before [redacted PRIVATE KEY] after',
    ],
    [
      'an EC key block is replaced',
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----',
      '[redacted EC PRIVATE KEY]',
    ],
    [
      'a truncated key block is replaced to the end',
      'x -----BEGIN RSA PRIVATE KEY-----\nMIIEow',
      'x [redacted RSA PRIVATE KEY]',
    ],
    ['a key authorization keeps only its token', `ka=${TOKEN}.${THUMBPRINT}`, `ka=${TOKEN}.[redacted]`],
    [
      'a JWK private scalar is replaced',
      '{"kty":"EC","d":"abcDEF123_-","x":"y"}',
      '{"kty":"EC","d":"[redacted]","x":"y"}',
    ],
    [
      'a certificate block is kept (public)',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    ],
  ])('redactSecrets() %s', (_label, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});
