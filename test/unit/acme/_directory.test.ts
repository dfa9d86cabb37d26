import type { DirectoryMeta } from '../../../src/acme';
import { checkProfile, renewalInfoBase, toDirectoryMeta, type AcmeDirectory } from '../../../src/acme/_directory';
import { AcmeError } from '../../../src/errors';

const LE_PROFILES = {
  classic: 'https://le.test/classic',
  tlsserver: 'https://le.test/tlsserver',
  shortlived: 'https://le.test/shortlived',
};

describe('toDirectoryMeta()', () => {
  test.each<[string, AcmeDirectory, DirectoryMeta]>([
    ['an empty directory', {}, { hasRenewalInfo: false }],
    [
      "pebble 2.4's directory",
      { meta: { externalAccountRequired: false, termsOfService: 'data:x' }, newOrder: 'https://p/order-plz' },
      { externalAccountRequired: false, termsOfService: 'data:x', hasRenewalInfo: false },
    ],
    [
      "Let's Encrypt's directory",
      { meta: { website: 'https://le.test', profiles: LE_PROFILES }, renewalInfo: 'https://le.test/acme/renewal-info' },
      { website: 'https://le.test', profiles: LE_PROFILES, hasRenewalInfo: true },
    ],
    [
      'profiles with non-string descriptions (dropped)',
      { meta: { profiles: { a: 'A', b: 7, c: null } } },
      { profiles: { a: 'A' }, hasRenewalInfo: false },
    ],
    ['profiles that are all invalid', { meta: { profiles: { b: 7 } } }, { hasRenewalInfo: false }],
    ['profiles as an array', { meta: { profiles: ['classic'] } }, { hasRenewalInfo: false }],
    ['meta as a string', { meta: 'nope' }, { hasRenewalInfo: false }],
    ['meta as an array', { meta: ['x'] }, { hasRenewalInfo: false }],
    ['a non-string renewalInfo', { renewalInfo: 42 }, { hasRenewalInfo: false }],
    ['a renewalInfo that is not a URL', { renewalInfo: 'renewal-info' }, { hasRenewalInfo: false }],
    ['a renewalInfo with another scheme', { renewalInfo: 'ftp://ca.test/ri' }, { hasRenewalInfo: false }],
  ])('toDirectoryMeta() reads %s', (_name, directory, expected) => {
    expect(toDirectoryMeta(directory)).toEqual(expected);
  });

  test('toDirectoryMeta() ignores a meta field named hasRenewalInfo', () => {
    expect(toDirectoryMeta({ meta: { hasRenewalInfo: true } }).hasRenewalInfo).toBe(false);
  });
});

describe('renewalInfoBase()', () => {
  test.each<[unknown, string | undefined]>([
    ['https://ca.test/renewal-info', 'https://ca.test/renewal-info'],
    ['http://127.0.0.1:4000/renewal-info/', 'http://127.0.0.1:4000/renewal-info/'],
    [undefined, undefined],
    ['', undefined],
    ['javascript:alert(1)', undefined],
    [{ url: 'https://ca.test' }, undefined],
  ])('renewalInfoBase() of %p is %p', (renewalInfo, expected) => {
    expect(renewalInfoBase({ renewalInfo })).toBe(expected);
  });
});

describe('checkProfile()', () => {
  test.each(['classic', 'tlsserver', 'shortlived'])('checkProfile() accepts the offered profile %p', (profile) => {
    expect(checkProfile({ profiles: LE_PROFILES, hasRenewalInfo: true }, profile)).toBeUndefined();
  });

  test.each<[string, DirectoryMeta, string]>([
    [
      'x',
      { profiles: LE_PROFILES, hasRenewalInfo: true },
      'Cannot create an order with profile "x": the CA offers "classic", "tlsserver", "shortlived"',
    ],
    [
      'Classic',
      { profiles: LE_PROFILES, hasRenewalInfo: true },
      'Cannot create an order with profile "Classic": the CA offers "classic", "tlsserver", "shortlived"',
    ],
    [
      '',
      { profiles: { classic: 'c' }, hasRenewalInfo: false },
      'Cannot create an order with profile "": the CA offers "classic"',
    ],
    [
      'a\nb',
      { profiles: { 'c\u0000d': 'c' }, hasRenewalInfo: false },
      'Cannot create an order with profile "a b": the CA offers "c d"',
    ],
    [
      'toString',
      { hasRenewalInfo: false },
      'Cannot create an order with profile "toString": the CA offers no profiles; omit the profile',
    ],
    [
      'shortlived',
      { hasRenewalInfo: true },
      'Cannot create an order with profile "shortlived": the CA offers no profiles; omit the profile',
    ],
  ])('checkProfile() rejects %p', (profile, meta, message) => {
    expect(() => checkProfile(meta, profile)).toThrow(AcmeError);
    expect(() => checkProfile(meta, profile)).toThrow(message);
  });
});
