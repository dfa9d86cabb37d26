import { checkRuntimeSocket, isLoopbackHost } from '../../../src/config/_fields';
import type { RuntimeSocketAddress } from '../../../src/config';

const FORMS = 'expected /absolute/path, unix@/absolute/path, ipv4@ADDRESS:PORT or ipv6@[ADDRESS]:PORT';
const ABSOLUTE = 'expected an absolute socket path, e.g. "/run/haproxy/admin.sock"';
const ABSOLUTE_UNIX = 'expected an absolute socket path after "unix@", e.g. "unix@/run/haproxy/admin.sock"';
const TOO_LONG = 'the socket path is longer than 107 bytes, the limit for unix sockets';
const CONTROL = 'the address contains a control character';
const PORT = 'expected a port from 1 to 65535 after the colon';
const NO_PORT_V4 = 'expected a port after the address, e.g. "ipv4@127.0.0.1:9999"';
const NO_PORT_V6 = 'expected a port after the address, e.g. "ipv6@[::1]:9999"';
const BRACKETS = 'put the IPv6 address in brackets, e.g. "ipv6@[::1]:9999"';
const path106 = `/${'s'.repeat(106)}`;

describe('checkRuntimeSocket()', () => {
  test.each<[string, RuntimeSocketAddress]>([
    ['/run/haproxy/admin.sock', { kind: 'unix', path: '/run/haproxy/admin.sock' }],
    ['  /run/haproxy/admin.sock ', { kind: 'unix', path: '/run/haproxy/admin.sock' }],
    ['unix@/run/haproxy/admin.sock', { kind: 'unix', path: '/run/haproxy/admin.sock' }],
    ['/run/a@b,c.sock', { kind: 'unix', path: '/run/a@b,c.sock' }],
    [path106, { kind: 'unix', path: path106 }],
    ['ipv4@127.0.0.1:9999', { kind: 'tcp', host: '127.0.0.1', port: 9999 }],
    ['ipv4@10.0.0.5:1', { kind: 'tcp', host: '10.0.0.5', port: 1 }],
    ['ipv4@127.0.0.1:65535', { kind: 'tcp', host: '127.0.0.1', port: 65535 }],
    ['ipv6@[::1]:9999', { kind: 'tcp', host: '::1', port: 9999 }],
    ['ipv6@[0:0:0:0:0:0:0:1]:9999', { kind: 'tcp', host: '::1', port: 9999 }],
    ['ipv6@[2001:DB8::1]:443', { kind: 'tcp', host: '2001:db8::1', port: 443 }],
  ])('checkRuntimeSocket() accepts %j', (input, expected) => {
    expect(checkRuntimeSocket(input)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, string]>([
    ['', FORMS],
    ['   ', FORMS],
    ['run/haproxy.sock', ABSOLUTE],
    ['./admin.sock', ABSOLUTE],
    ['localhost:9999', ABSOLUTE],
    ['unix@', ABSOLUTE_UNIX],
    ['unix@run/haproxy.sock', ABSOLUTE_UNIX],
    ['/run/a\u0000b.sock', CONTROL],
    ['/run/a\nb.sock', CONTROL],
    ['unix@/run/admin.sock\r', CONTROL],
    ['/run/\u0085.sock', CONTROL],
    [`/${'s'.repeat(107)}`, TOO_LONG],
    [`unix@/${'é'.repeat(54)}`, TOO_LONG],
    ['ipv4@1.2.3.4', NO_PORT_V4],
    ['ipv4@1.2.3.4:', NO_PORT_V4],
    ['ipv4@127.0.0.1:0', PORT],
    ['ipv4@127.0.0.1:70000', PORT],
    ['ipv4@127.0.0.1:-1', PORT],
    ['ipv4@127.0.0.1:99x', PORT],
    ['ipv4@127.0.0.1:1e3', PORT],
    ['ipv4@localhost:1', 'expected an IPv4 address after "ipv4@", not "localhost"'],
    ['ipv4@127.000.0.1:1', 'expected an IPv4 address after "ipv4@", not "127.000.0.1"'],
    ['ipv4@:9999', 'expected an IPv4 address after "ipv4@", not ""'],
    ['ipv4@[::1]:9999', 'expected an IPv4 address after "ipv4@", not "[::1]"'],
    ['ipv6@::1:9999', BRACKETS],
    ['ipv6@::1', BRACKETS],
    ['ipv6@[::1]', NO_PORT_V6],
    ['ipv6@[::1]:0', PORT],
    ['ipv6@[127.0.0.1]:9999', 'expected an IPv6 address inside the brackets, not "127.0.0.1"'],
    ['ipv6@[fe80::1%eth0]:9999', 'expected an IPv6 address inside the brackets, not "fe80::1%eth0"'],
    ['tcp@127.0.0.1:9999', `unknown address prefix "tcp@"; ${FORMS}`],
    ['IPV4@127.0.0.1:9999', `unknown address prefix "IPV4@"; ${FORMS}`],
    ['fd@3', `unknown address prefix "fd@"; ${FORMS}`],
    ['abns@x', 'abstract unix sockets (abns@) are not supported; use a socket path such as "/run/haproxy/admin.sock"'],
    ['127.0.0.1:9999', 'add the address family in front, e.g. "ipv4@127.0.0.1:9999"'],
    ['[::1]:9999', 'add the address family in front, e.g. "ipv6@[::1]:9999"'],
  ])('checkRuntimeSocket() rejects %j', (input, detail) => {
    expect(checkRuntimeSocket(input)).toEqual({ ok: false, detail });
  });
});

describe('isLoopbackHost()', () => {
  test.each<[string, boolean]>([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['10.0.0.5', false],
    ['0.0.0.0', false],
    ['128.0.0.1', false],
    ['::', false],
    ['::ffff:7f00:1', false],
    ['localhost', false],
    ['127.example.com', false],
  ])('isLoopbackHost(%j) is %j', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
