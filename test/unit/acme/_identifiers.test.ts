import { isIpIdentifier, toIdentifier, type Identifier } from '../../../src/acme';
import { AcmeError } from '../../../src/errors';

describe('toIdentifier()', () => {
  test.each<[string, Identifier]>([
    ['a.example.test', { type: 'dns', value: 'a.example.test' }],
    ['*.example.test', { type: 'dns', value: '*.example.test' }],
    ['xn--bcher-kva.test', { type: 'dns', value: 'xn--bcher-kva.test' }],
    ['127.0.0.1', { type: 'ip', value: '127.0.0.1' }],
    ['192.0.2.255', { type: 'ip', value: '192.0.2.255' }],
    ['::1', { type: 'ip', value: '::1' }],
    ['0:0:0:0:0:0:0:1', { type: 'ip', value: '::1' }],
    ['2001:DB8:0:0:0:0:0:1', { type: 'ip', value: '2001:db8::1' }],
    ['2001:db8:0:0:1:0:0:1', { type: 'ip', value: '2001:db8::1:0:0:1' }],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', { type: 'ip', value: '2001:db8::ff00:42:8329' }],
    ['::ffff:192.0.2.1', { type: 'ip', value: '::ffff:192.0.2.1' }],
    ['::FFFF:C000:0201', { type: 'ip', value: '::ffff:192.0.2.1' }],
    // Not IP literals for net.isIP(): left to the CA as DNS names, which it rejects.
    ['[::1]', { type: 'dns', value: '[::1]' }],
    ['127.000.000.001', { type: 'dns', value: '127.000.000.001' }],
    ['1.2.3', { type: 'dns', value: '1.2.3' }],
    ['', { type: 'dns', value: '' }],
    // Zone IDs that net.isIP() refuses are not IPs either.
    ['fe80::1%a\nb', { type: 'dns', value: 'fe80::1%a\nb' }],
  ])('toIdentifier(%p) orders %p', (name, expected) => {
    expect(toIdentifier(name)).toEqual(expected);
  });

  test.each([
    [
      'fe80::1%eth0',
      'Cannot order a certificate for "fe80::1%eth0": an IPv6 zone ID cannot be certified; remove "%eth0"',
    ],
    ['::1%1', 'Cannot order a certificate for "::1%1": an IPv6 zone ID cannot be certified; remove "%1"'],
  ])('toIdentifier(%p) rejects an IPv6 zone ID', (name, message) => {
    expect(() => toIdentifier(name)).toThrow(AcmeError);
    expect(() => toIdentifier(name)).toThrow(message);
  });
});

describe('isIpIdentifier()', () => {
  test.each<[string, boolean]>([
    ['127.0.0.1', true],
    ['::1', true],
    ['a.test', false],
    ['[::1]', false],
    ['1.2.3.4.example.test', false],
  ])('isIpIdentifier(%p) is %p', (name, expected) => {
    expect(isIpIdentifier(name)).toBe(expected);
  });
});
