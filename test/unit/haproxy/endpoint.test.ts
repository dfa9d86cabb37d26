import { ConfigError } from '../../../src/errors';
import { formatRuntimeEndpoint, parseRuntimeEndpoint, type RuntimeEndpoint } from '../../../src/haproxy';

describe('parseRuntimeEndpoint()', () => {
  test.each<[string, RuntimeEndpoint]>([
    ['/run/haproxy/admin.sock', { kind: 'unix', path: '/run/haproxy/admin.sock' }],
    ['unix@/run/haproxy/admin.sock', { kind: 'unix', path: '/run/haproxy/admin.sock' }],
    ['/var/snap/x/common/with space.sock', { kind: 'unix', path: '/var/snap/x/common/with space.sock' }],
    ['ipv4@127.0.0.1:9999', { kind: 'tcp', host: '127.0.0.1', port: 9999 }],
    ['ipv4@127.1.2.3:1', { kind: 'tcp', host: '127.1.2.3', port: 1 }],
    ['127.0.0.1:65535', { kind: 'tcp', host: '127.0.0.1', port: 65535 }],
    ['ipv6@[::1]:9999', { kind: 'tcp', host: '::1', port: 9999 }],
    ['ipv6@[0:0:0:0:0:0:0:1]:9999', { kind: 'tcp', host: '0:0:0:0:0:0:0:1', port: 9999 }],
    ['[::ffff:127.0.0.1]:9999', { kind: 'tcp', host: '::ffff:127.0.0.1', port: 9999 }],
  ])('parseRuntimeEndpoint() accepts "%s"', (text, expected) => {
    expect(parseRuntimeEndpoint(text)).toEqual(expected);
  });

  test.each<[string, { allowRemote?: boolean } | undefined, RuntimeEndpoint]>([
    ['ipv4@10.0.0.5:9999', { allowRemote: true }, { kind: 'tcp', host: '10.0.0.5', port: 9999 }],
    ['ipv6@[2001:db8::1]:9999', { allowRemote: true }, { kind: 'tcp', host: '2001:db8::1', port: 9999 }],
  ])('parseRuntimeEndpoint() accepts the remote "%s" with allowRemote', (text, options, expected) => {
    expect(parseRuntimeEndpoint(text, options)).toEqual(expected);
  });

  const forms = 'expected "/path", "unix@/path", "ipv4@127.0.0.1:9999" or "ipv6@[::1]:9999"';
  const remote = (host: string) =>
    `a TCP runtime socket has no authentication, so anyone who can reach "${host}" controls HAProxy; bind it to 127.0.0.1 or use a unix socket, or pass --haproxy-allow-remote`;
  test.each<[string, string]>([
    ['', forms],
    ['admin.sock', forms],
    ['unix@admin.sock', 'a unix socket path must be absolute'],
    ['unix@', 'a unix socket path must be absolute'],
    ['/run/a\nb.sock', 'it contains a line break or NUL'],
    ['/run/a\0b.sock', 'it contains a line break or NUL'],
    ['ipv4@10.0.0.5:9999', remote('10.0.0.5')],
    ['ipv4@0.0.0.0:9999', remote('0.0.0.0')],
    ['ipv6@[::]:9999', remote('::')],
    ['ipv6@[::2]:9999', remote('::2')],
    ['ipv6@[::ffff:10.0.0.1]:9999', remote('::ffff:10.0.0.1')],
    ['ipv4@localhost:9999', `"localhost" is not an IPv4 address (host names are not resolved); ${forms}`],
    ['ipv4@[::1]:9999', `"::1" is not an IPv4 address (host names are not resolved); ${forms}`],
    ['ipv6@127.0.0.1:9999', `"127.0.0.1" is not an IPv6 address (host names are not resolved); ${forms}`],
    ['ipv4@127.0.0.1:0', 'the port "0" must be an integer from 1 to 65535'],
    ['ipv4@127.0.0.1:65536', 'the port "65536" must be an integer from 1 to 65535'],
    ['ipv4@127.0.0.1:-1', 'the port "-1" must be an integer from 1 to 65535'],
    ['ipv4@127.0.0.1:', 'the port "" must be an integer from 1 to 65535'],
    ['ipv4@127.0.0.1:99999999', 'the port "99999999" must be an integer from 1 to 65535'],
    ['tcp@127.0.0.1:9999', forms],
    ['ipv6@::1:9999', 'write an IPv6 address in brackets, e.g. "ipv6@[::1]:9999"'],
    ['::1:9999', 'write an IPv6 address in brackets, e.g. "ipv6@[::1]:9999"'],
  ])('parseRuntimeEndpoint() rejects %j', (text, detail) => {
    expect(() => parseRuntimeEndpoint(text)).toThrow(
      expect.objectContaining({ name: ConfigError.name, source: '--haproxy-socket', message: `Cannot use HAProxy socket "${text}" from --haproxy-socket: ${detail}` }),
    );
  });

  test('parseRuntimeEndpoint() names the given source', () => {
    expect(() => parseRuntimeEndpoint('x', { source: '--haproxy-master-socket' })).toThrow(
      expect.objectContaining({ source: '--haproxy-master-socket', message: `Cannot use HAProxy socket "x" from --haproxy-master-socket: ${forms}` }),
    );
  });
});

describe('formatRuntimeEndpoint()', () => {
  test.each<[RuntimeEndpoint, string]>([
    [{ kind: 'unix', path: '/run/haproxy/admin.sock' }, 'unix@/run/haproxy/admin.sock'],
    [{ kind: 'tcp', host: '127.0.0.1', port: 9999 }, 'ipv4@127.0.0.1:9999'],
    [{ kind: 'tcp', host: '::1', port: 9999 }, 'ipv6@[::1]:9999'],
  ])('formatRuntimeEndpoint(%j) is "%s" and parses back', (endpoint, text) => {
    expect(formatRuntimeEndpoint(endpoint)).toBe(text);
    expect(parseRuntimeEndpoint(text)).toEqual(endpoint);
  });
});
