import { errorOf, resolve } from './_resolve';
import { type Config, type ConfigSources, type RawFlags } from '../../../src/config';

const UNIX_A = { kind: 'unix', path: '/run/a.sock' } as const;
const UNIX_B = { kind: 'unix', path: '/run/b.sock' } as const;
const TCP_LOCAL = { kind: 'tcp', host: '127.0.0.1', port: 9999 } as const;
const REMOTE = (what: string, hint: string, host: string) =>
  `a TCP ${what} socket has no authentication, so only loopback addresses are accepted; ${hint} to accept "${host}"`;
const FORMS = 'expected /absolute/path, unix@/absolute/path, ipv4@ADDRESS:PORT or ipv6@[ADDRESS]:PORT';
const BUFSIZE = 'expected a whole number of bytes from 1024 to 1048576';
const LOCK = 'expected a whole number of milliseconds from 0 to 3600000';
const BOOLEAN = 'expected true, false, 1, 0, yes or no';

describe('resolveConfig() HAProxy settings: flag > env > snap > default', () => {
  type Row = [keyof Config['haproxy'], RawFlags, Record<string, string>, Record<string, unknown>, unknown];
  test.each<Row>([
    [
      'sockets',
      { haproxySocket: ['/run/a.sock'] },
      { ACME_HAPROXY_SOCKET: '/run/b.sock' },
      { 'haproxy-socket': '/run/c.sock' },
      [UNIX_A],
    ],
    ['sockets', {}, { ACME_HAPROXY_SOCKET: '/run/b.sock' }, { 'haproxy-socket': '/run/c.sock' }, [UNIX_B]],
    ['sockets', {}, { ACME_HAPROXY_SOCKET: ' ' }, { 'haproxy-socket': '/run/a.sock' }, [UNIX_A]],
    ['sockets', {}, {}, {}, []],
    [
      'crtList',
      { haproxyCrtList: 'crt-list.txt' },
      { ACME_HAPROXY_CRT_LIST: '/e/list' },
      { 'haproxy-crt-list': '/s/list' },
      '/srv/app/crt-list.txt',
    ],
    ['crtList', {}, { ACME_HAPROXY_CRT_LIST: '/e/list' }, { 'haproxy-crt-list': '/s/list' }, '/e/list'],
    ['crtList', {}, {}, { 'haproxy-crt-list': 'certs/' }, '/srv/app/certs'],
    ['crtList', {}, {}, {}, undefined],
    ['masterSocket', { haproxyMasterSocket: '/run/a.sock' }, { ACME_HAPROXY_MASTER_SOCKET: '/run/b.sock' }, {}, UNIX_A],
    [
      'masterSocket',
      {},
      { ACME_HAPROXY_MASTER_SOCKET: 'unix@/run/b.sock' },
      { 'haproxy-master-socket': '/run/c.sock' },
      UNIX_B,
    ],
    ['masterSocket', {}, {}, { 'haproxy-master-socket': 'ipv4@127.0.0.1:9999' }, TCP_LOCAL],
    ['masterSocket', {}, {}, {}, undefined],
    [
      'reloadCommand',
      { haproxyReloadCmd: 'snapctl restart f.haproxy' },
      { ACME_HAPROXY_RELOAD_CMD: '/bin/e' },
      {},
      ['snapctl', 'restart', 'f.haproxy'],
    ],
    [
      'reloadCommand',
      {},
      { ACME_HAPROXY_RELOAD_CMD: '/bin/e "a b"' },
      { 'haproxy-reload-cmd': 's' },
      ['/bin/e', 'a b'],
    ],
    [
      'reloadCommand',
      {},
      {},
      { 'haproxy-reload-cmd': 'snapctl restart s.haproxy' },
      ['snapctl', 'restart', 's.haproxy'],
    ],
    ['reloadCommand', {}, {}, {}, undefined],
    ['allowRemote', { haproxyAllowRemote: true }, { ACME_HAPROXY_ALLOW_REMOTE: 'no' }, {}, true],
    ['allowRemote', {}, { ACME_HAPROXY_ALLOW_REMOTE: 'YES' }, { 'haproxy-allow-remote': false }, true],
    ['allowRemote', {}, { ACME_HAPROXY_ALLOW_REMOTE: '0' }, { 'haproxy-allow-remote': true }, false],
    ['allowRemote', {}, {}, { 'haproxy-allow-remote': true }, true],
    ['allowRemote', {}, {}, {}, false],
    ['bufferSize', { haproxyBufsize: '32768' }, { ACME_HAPROXY_BUFSIZE: '65536' }, { 'haproxy-bufsize': 1024 }, 32768],
    ['bufferSize', {}, { ACME_HAPROXY_BUFSIZE: '1048576' }, { 'haproxy-bufsize': 1024 }, 1048576],
    ['bufferSize', {}, {}, { 'haproxy-bufsize': 1024 }, 1024],
    ['bufferSize', {}, {}, {}, 16384],
  ])('resolveConfig() picks haproxy.%s from flags %j, env %j, snap %j', (field, flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap }).haproxy[field]).toEqual(expected);
  });

  test.each<[RawFlags, Record<string, string>, Record<string, unknown>, number]>([
    [{ lockTimeout: '0' }, { ACME_LOCK_TIMEOUT_MS: '5000' }, { 'acme-lock-timeout': 7000 }, 0],
    [{}, { ACME_LOCK_TIMEOUT_MS: '3600000' }, { 'acme-lock-timeout': 7000 }, 3600000],
    [{}, {}, { 'acme-lock-timeout': 7000 }, 7000],
    [{}, {}, {}, 60000],
  ])('resolveConfig() picks lockTimeoutMs from flags %j, env %j, snap %j', (flags, env, snap, expected) => {
    expect(resolve({ flags, env, snap }).lockTimeoutMs).toBe(expected);
  });

  test.each<[Partial<ConfigSources>, Config['haproxy']['sockets']]>([
    [{ flags: { haproxySocket: ['/run/a.sock,/run/b.sock', '/run/a.sock', 'unix@/run/b.sock'] } }, [UNIX_A, UNIX_B]],
    [{ flags: { haproxySocket: ['/run/a.sock,,', 'ipv4@127.0.0.1:9999'] } }, [UNIX_A, TCP_LOCAL]],
    [{ env: { ACME_HAPROXY_SOCKET: '/run/a.sock ipv4@127.0.0.1:9999,\t/run/b.sock' } }, [UNIX_A, TCP_LOCAL, UNIX_B]],
    [
      { snap: { 'haproxy-socket': ['ipv6@[::1]:1', 'ipv6@[0:0:0:0:0:0:0:1]:1'] } },
      [{ kind: 'tcp', host: '::1', port: 1 }],
    ],
    [
      { flags: { haproxySocket: ['ipv4@10.0.0.5:1', 'ipv4@10.0.0.5:2'], haproxyAllowRemote: true } },
      [
        { kind: 'tcp', host: '10.0.0.5', port: 1 },
        { kind: 'tcp', host: '10.0.0.5', port: 2 },
      ],
    ],
  ])('resolveConfig() splits and de-duplicates sockets from %j', (sources, expected) => {
    expect(resolve(sources).haproxy.sockets).toEqual(expected);
  });

  test('resolveConfig() deeply freezes the HAProxy settings', () => {
    const { haproxy } = resolve({
      flags: {
        haproxySocket: ['/run/a.sock'],
        haproxyMasterSocket: '/run/m.sock',
        haproxyReloadCmd: 'snapctl restart x',
      },
    });
    expect(Object.isFrozen(haproxy)).toBe(true);
    expect(Object.isFrozen(haproxy.sockets)).toBe(true);
    expect(Object.isFrozen(haproxy.sockets[0])).toBe(true);
    expect(Object.isFrozen(haproxy.masterSocket)).toBe(true);
    expect(Object.isFrozen(haproxy.reloadCommand)).toBe(true);
  });
});

describe('resolveConfig() HAProxy error messages name the source', () => {
  test.each<[Partial<ConfigSources>, string, string]>([
    [
      { flags: { haproxySocket: ['tcp@127.0.0.1:1'] } },
      `Invalid --haproxy-socket "tcp@127.0.0.1:1": unknown address prefix "tcp@"; ${FORMS}`,
      '--haproxy-socket',
    ],
    [{ flags: { haproxySocket: [''] } }, `Invalid --haproxy-socket "": ${FORMS}`, '--haproxy-socket'],
    [
      { flags: { haproxySocket: ['/run/ok.sock,run/rel.sock'] } },
      'Invalid --haproxy-socket "run/rel.sock": expected an absolute socket path, e.g. "/run/haproxy/admin.sock"',
      '--haproxy-socket',
    ],
    [
      { env: { ACME_HAPROXY_SOCKET: 'ipv4@1.2.3.4' } },
      'Invalid ACME_HAPROXY_SOCKET "ipv4@1.2.3.4": expected a port after the address, e.g. "ipv4@127.0.0.1:9999"',
      'ACME_HAPROXY_SOCKET',
    ],
    [
      { snap: { 'haproxy-socket': 'ipv6@::1:9999' } },
      'Invalid snap option haproxy-socket "ipv6@::1:9999": put the IPv6 address in brackets, e.g. "ipv6@[::1]:9999"',
      'snap option haproxy-socket',
    ],
    [
      { snap: { 'haproxy-socket': { path: '/run/a.sock' } } },
      'Invalid snap option haproxy-socket {"path":"/run/a.sock"}: expected text, a number or true/false',
      'snap option haproxy-socket',
    ],
    [
      { flags: { haproxyMasterSocket: 'abns@master' } },
      'Invalid --haproxy-master-socket "abns@master": abstract unix sockets (abns@) are not supported; use a socket path such as "/run/haproxy/admin.sock"',
      '--haproxy-master-socket',
    ],
    [
      { env: { ACME_HAPROXY_MASTER_SOCKET: 'ipv4@localhost:1' } },
      'Invalid ACME_HAPROXY_MASTER_SOCKET "ipv4@localhost:1": expected an IPv4 address after "ipv4@", not "localhost"',
      'ACME_HAPROXY_MASTER_SOCKET',
    ],
    [
      { snap: { 'haproxy-master-socket': '/run/m\u0000.sock' } },
      'Invalid snap option haproxy-master-socket "/run/m\\u0000.sock": the address contains a control character',
      'snap option haproxy-master-socket',
    ],
    [
      { flags: { haproxyCrtList: '' } },
      'Invalid --haproxy-crt-list "": expected a crt-list path',
      '--haproxy-crt-list',
    ],
    [
      { env: { ACME_HAPROXY_CRT_LIST: 'a\u0000b' } },
      'Invalid ACME_HAPROXY_CRT_LIST "a\\u0000b": the crt-list path contains a NUL character',
      'ACME_HAPROXY_CRT_LIST',
    ],
    [
      { flags: { haproxyReloadCmd: './reload.sh' } },
      'Invalid --haproxy-reload-cmd "./reload.sh": the program must be an absolute path or a bare command name found on PATH, not "./reload.sh"',
      '--haproxy-reload-cmd',
    ],
    [
      { env: { ACME_HAPROXY_RELOAD_CMD: "snapctl restart 'x" } },
      'Invalid ACME_HAPROXY_RELOAD_CMD "snapctl restart \'x": the command has an unbalanced single quote',
      'ACME_HAPROXY_RELOAD_CMD',
    ],
    [
      { snap: { 'haproxy-reload-cmd': 'systemctl reload haproxy || true' } },
      'Invalid snap option haproxy-reload-cmd "systemctl reload haproxy || true": "|" is shell syntax, but no shell is run; put it in single quotes, or put the commands in a script and give its path',
      'snap option haproxy-reload-cmd',
    ],
    [
      { env: { ACME_HAPROXY_ALLOW_REMOTE: 'maybe' } },
      `Invalid ACME_HAPROXY_ALLOW_REMOTE "maybe": ${BOOLEAN}`,
      'ACME_HAPROXY_ALLOW_REMOTE',
    ],
    [
      { snap: { 'haproxy-allow-remote': 2 } },
      `Invalid snap option haproxy-allow-remote "2": ${BOOLEAN}`,
      'snap option haproxy-allow-remote',
    ],
    [{ flags: { haproxyBufsize: '1023' } }, `Invalid --haproxy-bufsize "1023": ${BUFSIZE}`, '--haproxy-bufsize'],
    [
      { env: { ACME_HAPROXY_BUFSIZE: '1048577' } },
      `Invalid ACME_HAPROXY_BUFSIZE "1048577": ${BUFSIZE}`,
      'ACME_HAPROXY_BUFSIZE',
    ],
    [
      { snap: { 'haproxy-bufsize': '16k' } },
      `Invalid snap option haproxy-bufsize "16k": ${BUFSIZE}`,
      'snap option haproxy-bufsize',
    ],
    [{ flags: { lockTimeout: '-1' } }, `Invalid --lock-timeout "-1": ${LOCK}`, '--lock-timeout'],
    [
      { env: { ACME_LOCK_TIMEOUT_MS: '3600001' } },
      `Invalid ACME_LOCK_TIMEOUT_MS "3600001": ${LOCK}`,
      'ACME_LOCK_TIMEOUT_MS',
    ],
    [
      { snap: { 'acme-lock-timeout': 1.5 } },
      `Invalid snap option acme-lock-timeout "1.5": ${LOCK}`,
      'snap option acme-lock-timeout',
    ],
  ])('resolveConfig() rejects %j', (sources, message, source) => {
    const error = errorOf(sources);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
    expect(error.code).toBe('CONFIG_INVALID');
  });
});

describe('resolveConfig() refuses a remote TCP socket unless haproxy-allow-remote is set', () => {
  test.each<[Partial<ConfigSources>, string, string]>([
    [
      { flags: { haproxySocket: ['ipv4@10.0.0.5:9999'] } },
      `Invalid --haproxy-socket "ipv4@10.0.0.5:9999": ${REMOTE('runtime', 'pass --haproxy-allow-remote', '10.0.0.5')}`,
      '--haproxy-socket',
    ],
    [
      { env: { ACME_HAPROXY_SOCKET: '/run/a.sock ipv6@[2001:db8::1]:9999' } },
      `Invalid ACME_HAPROXY_SOCKET "ipv6@[2001:db8::1]:9999": ${REMOTE('runtime', 'set ACME_HAPROXY_ALLOW_REMOTE=true', '2001:db8::1')}`,
      'ACME_HAPROXY_SOCKET',
    ],
    [
      { snap: { 'haproxy-socket': 'ipv4@0.0.0.0:9999' }, env: { ACME_HAPROXY_ALLOW_REMOTE: 'false' } },
      `Invalid snap option haproxy-socket "ipv4@0.0.0.0:9999": ${REMOTE('runtime', 'set snap option haproxy-allow-remote=true', '0.0.0.0')}`,
      'snap option haproxy-socket',
    ],
    [
      { flags: { haproxyMasterSocket: 'ipv4@192.168.1.2:9998' } },
      `Invalid --haproxy-master-socket "ipv4@192.168.1.2:9998": ${REMOTE('master', 'pass --haproxy-allow-remote', '192.168.1.2')}`,
      '--haproxy-master-socket',
    ],
    [
      { flags: { haproxySocket: ['ipv4@10.0.0.5:1'], haproxyMasterSocket: 'ipv6@[::]:2' } },
      [
        'Cannot load configuration: 2 settings are invalid',
        `Invalid --haproxy-socket "ipv4@10.0.0.5:1": ${REMOTE('runtime', 'pass --haproxy-allow-remote', '10.0.0.5')}`,
        `Invalid --haproxy-master-socket "ipv6@[::]:2": ${REMOTE('master', 'pass --haproxy-allow-remote', '::')}`,
      ].join('\n'),
      '--haproxy-socket, --haproxy-master-socket',
    ],
  ])('resolveConfig() refuses %j', (sources, message, source) => {
    const error = errorOf(sources);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
  });

  test.each<[Partial<ConfigSources>]>([
    [{ flags: { haproxySocket: ['ipv4@10.0.0.5:9999'], haproxyAllowRemote: true } }],
    [{ flags: { haproxySocket: ['ipv4@10.0.0.5:9999'] }, env: { ACME_HAPROXY_ALLOW_REMOTE: 'true' } }],
    [{ env: { ACME_HAPROXY_MASTER_SOCKET: 'ipv6@[2001:db8::1]:9999' }, snap: { 'haproxy-allow-remote': true } }],
    [
      {
        flags: {
          haproxySocket: ['ipv4@127.1.2.3:9999', 'ipv6@[::1]:9999'],
          haproxyMasterSocket: 'ipv4@127.0.0.1:9998',
        },
      },
    ],
  ])('resolveConfig() accepts %j', (sources) => {
    expect(() => resolve(sources)).not.toThrow();
  });

  test('resolveConfig() reports only the invalid haproxy-allow-remote, not the remote socket it would have allowed', () => {
    const error = errorOf({
      flags: { haproxySocket: ['ipv4@10.0.0.5:9999'] },
      env: { ACME_HAPROXY_ALLOW_REMOTE: 'maybe' },
    });
    expect(error.message).toBe(`Invalid ACME_HAPROXY_ALLOW_REMOTE "maybe": ${BOOLEAN}`);
  });

  test('resolveConfig() reports a remote socket together with unrelated errors', () => {
    const error = errorOf({ flags: { haproxySocket: ['ipv4@10.0.0.5:9999', 'ipv4@1.2.3.4'], lockTimeout: 'x' } });
    expect(error.message).toBe(
      [
        'Cannot load configuration: 3 settings are invalid',
        'Invalid --haproxy-socket "ipv4@1.2.3.4": expected a port after the address, e.g. "ipv4@127.0.0.1:9999"',
        `Invalid --lock-timeout "x": ${LOCK}`,
        `Invalid --haproxy-socket "ipv4@10.0.0.5:9999": ${REMOTE('runtime', 'pass --haproxy-allow-remote', '10.0.0.5')}`,
      ].join('\n'),
    );
  });
});
