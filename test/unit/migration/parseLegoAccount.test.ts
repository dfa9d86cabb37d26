import { generateKeyPairSync } from 'node:crypto';
import { parseLegoAccount, type LegoAccountFiles } from '../../../src/migration';
import { certs } from '../../fixtures/certs';
import { accountFiles, ADMIN_ACCOUNT_URL, OTHER_ACCOUNT_URL, withJson } from './_lego';

const SERVER = '127.0.0.1:33595';
const JSON_PATH = 'accounts/127.0.0.1_33595/admin@example.test/account.json';
const KEY_PATH = 'accounts/127.0.0.1_33595/admin@example.test/keys/admin@example.test.key';

function admin(change: Partial<LegoAccountFiles> = {}): LegoAccountFiles {
  return { ...accountFiles('admin@example.test'), ...change };
}

function keyPem(type: 'ed25519' | 'ec', namedCurve?: string): string {
  const options = type === 'ec' ? { namedCurve: namedCurve ?? 'P-521' } : {};
  return generateKeyPairSync(type as 'ec', options as { namedCurve: string }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

describe('parseLegoAccount()', () => {
  test.each([
    [
      'the ec256 account lego registered',
      accountFiles('admin@example.test'),
      { email: 'admin@example.test', accountUrl: ADMIN_ACCOUNT_URL, keyType: 'ec256' },
    ],
    [
      'the rsa2048 account lego registered',
      accountFiles('other@example.test'),
      { email: 'other@example.test', accountUrl: OTHER_ACCOUNT_URL, keyType: 'rsa2048' },
    ],
    [
      'an account without "email" takes the first mailto contact',
      admin({ accountJson: withJson(admin().accountJson, (v) => ({ ...v, email: '' })) }),
      { email: 'admin@example.test', accountUrl: ADMIN_ACCOUNT_URL, keyType: 'ec256' },
    ],
    [
      'an account without email or contact has none',
      admin({
        accountJson: withJson(admin().accountJson, () => ({
          email: '',
          registration: { uri: ADMIN_ACCOUNT_URL, body: { status: 'valid' } },
        })),
      }),
      { email: undefined, accountUrl: ADMIN_ACCOUNT_URL, keyType: 'ec256' },
    ],
    [
      'a P-521 account key',
      admin({ key: { path: KEY_PATH, text: keyPem('ec') } }),
      { email: 'admin@example.test', accountUrl: ADMIN_ACCOUNT_URL, keyType: 'ec521' },
    ],
  ])('parseLegoAccount() accepts %s', (_name, files, expected) => {
    const result = parseLegoAccount(files, { directoryServer: SERVER });
    expect(
      result.ok && {
        email: result.account.email,
        accountUrl: result.account.accountUrl,
        keyType: result.account.keyType,
      },
    ).toEqual(expected);
  });

  test('parseLegoAccount() returns the key in canonical PEM and names both files', () => {
    const result = parseLegoAccount(admin(), { directoryServer: SERVER });
    expect(
      result.ok && [result.account.keyPem.startsWith('-----BEGIN EC PRIVATE KEY-----\n'), result.account.files],
    ).toEqual([true, [JSON_PATH, KEY_PATH]]);
  });

  const json = (text: string): Partial<LegoAccountFiles> => ({ accountJson: { path: JSON_PATH, text } });
  const registration = (value: unknown): Partial<LegoAccountFiles> =>
    json(JSON.stringify({ email: 'a@example.test', registration: value }));
  test.each([
    ['no account.json', { accountJson: undefined }, [[JSON_PATH, 'the file is missing']]],
    ['no key', { key: undefined }, [[KEY_PATH, 'the account key is missing']]],
    [
      'both missing',
      { key: undefined, accountJson: undefined },
      [
        [JSON_PATH, 'the file is missing'],
        [KEY_PATH, 'the account key is missing'],
      ],
    ],
    ['account.json that is not JSON', json('{"email":'), [[JSON_PATH, 'it is not JSON']]],
    [
      'account.json that is an array',
      json('[]'),
      [[JSON_PATH, 'field "(root)" is missing or invalid (Invalid input: expected object, received array)']],
    ],
    [
      'account.json without registration',
      json('{"email":"a@example.test"}'),
      [[JSON_PATH, 'field "registration" is missing or invalid (Invalid input: expected object, received undefined)']],
    ],
    [
      'a registration.uri that is a number',
      registration({ uri: 7 }),
      [[JSON_PATH, 'field "registration.uri" is missing or invalid (Invalid input: expected string, received number)']],
    ],
    [
      'a registration.uri that is not a URL',
      registration({ uri: 'not a url' }),
      [[JSON_PATH, '"registration.uri" "not a url" is not an http(s) URL']],
    ],
    [
      'a file: registration.uri',
      registration({ uri: 'file:///etc/passwd' }),
      [[JSON_PATH, '"registration.uri" "file:///etc/passwd" is not an http(s) URL']],
    ],
    [
      'a registration.uri on another CA',
      registration({ uri: 'https://acme-staging-v02.api.letsencrypt.org/acme/acct/1' }),
      [
        [
          JSON_PATH,
          '"registration.uri" is on "acme-staging-v02.api.letsencrypt.org:443", not on the CA of its folder ("127.0.0.1:33595")',
        ],
      ],
    ],
    [
      'a deactivated account',
      registration({ uri: ADMIN_ACCOUNT_URL, body: { status: 'deactivated' } }),
      [[JSON_PATH, 'the account is "deactivated" at the CA, not "valid"; it cannot be adopted']],
    ],
    [
      'a status with a terminal escape',
      registration({ uri: ADMIN_ACCOUNT_URL, body: { status: 'x\u001b[2J\u202e' } }),
      [[JSON_PATH, 'the account is "x\\u001b[2J\\u202e" at the CA, not "valid"; it cannot be adopted']],
    ],
    [
      'a huge contact list',
      registration({ uri: ADMIN_ACCOUNT_URL, body: { contact: new Array(101).fill('mailto:a@b.c') } }),
      [
        [
          JSON_PATH,
          'field "registration.body.contact" is missing or invalid (Too big: expected array to have <=100 items)',
        ],
      ],
    ],
    [
      'a key that is a certificate',
      { key: { path: KEY_PATH, text: certs.ecLeaf } },
      [
        [
          KEY_PATH,
          'Cannot read private key: the block is "CERTIFICATE", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
        ],
      ],
    ],
    [
      'an encrypted key',
      { key: { path: KEY_PATH, text: certs.encryptedKey } },
      [
        [
          KEY_PATH,
          'Cannot read private key: the block is "ENCRYPTED PRIVATE KEY", expected "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" (decrypt an encrypted key first)',
        ],
      ],
    ],
    [
      'a key that is not PEM',
      { key: { path: KEY_PATH, text: 'hello' } },
      [[KEY_PATH, 'Cannot read private key: the text holds 0 PEM blocks, expected exactly one']],
    ],
    [
      'an Ed25519 key',
      { key: { path: KEY_PATH, text: keyPem('ed25519') } },
      [[KEY_PATH, 'the account key is "ed25519"; ACME accounts need an EC (P-256, P-384, P-521) or RSA key']],
    ],
    [
      'a secp256k1 key',
      { key: { path: KEY_PATH, text: keyPem('ec', 'secp256k1') } },
      [[KEY_PATH, 'the account key is "ec-secp256k1"; ACME accounts need an EC (P-256, P-384, P-521) or RSA key']],
    ],
  ])('parseLegoAccount() rejects %s, naming the file', (_name, change, expected) => {
    const result = parseLegoAccount(admin(change as Partial<LegoAccountFiles>), { directoryServer: SERVER });
    expect(result.ok ? 'accepted' : result.problems.map((p) => [p.file, p.message])).toEqual(expected);
  });

  test('parseLegoAccount() never puts key material in a problem', () => {
    const broken = certs.ecLeafKey.replace('-----END PRIVATE KEY-----', '-----END EC PRIVATE KEY-----');
    const result = parseLegoAccount(admin({ key: { path: KEY_PATH, text: broken } }), { directoryServer: SERVER });
    const body = certs.ecLeafKey.split('\n')[1]!;
    expect(
      result.ok ? 'accepted' : [result.problems.length, JSON.stringify(result.problems).includes(body.slice(0, 20))],
    ).toEqual([1, false]);
  });
});
