import { ConfigError } from '../../../src/errors';
import { tlsAlpnFront, type TlsAlpnFrontOptions } from '../../../src/haproxyTlsAlpn';
import { HOSTILE_WORD_TAILS } from '../_haproxyWords';

const GOOD: TlsAlpnFrontOptions = {
  bind: '*:443',
  internalSocket: '/run/haproxy/https.sock',
  responder: '127.0.0.1:34000',
  httpsEnabled: true,
};

/** The directive lines of `front`, without comments and indentation, for exact comparison. */
function directives(front: string[]): string[] {
  return front.filter((line) => !line.trimStart().startsWith('#')).map((line) => line.trim());
}

describe('tlsAlpnFront()', () => {
  it('routes acme-tls/1 to the responder and everything else, with PROXY v2, to the internal HTTPS socket', () => {
    expect(directives(tlsAlpnFront(GOOD).front)).toEqual([
      'frontend tls_alpn_in',
      'mode tcp',
      'bind *:443',
      'tcp-request inspect-delay 5s',
      'tcp-request content accept if { req.ssl_hello_type 1 }',
      'use_backend acme_tls_alpn if { req.ssl_alpn acme-tls/1 }',
      'default_backend https_internal',
      '',
      'backend acme_tls_alpn',
      'mode tcp',
      'timeout connect 1s',
      'server acme 127.0.0.1:34000',
      '',
      'backend https_internal',
      'mode tcp',
      'server https unix@/run/haproxy/https.sock send-proxy-v2',
      '',
    ]);
  });

  it('rejects every connection but acme-tls/1 and has no HTTPS backend when HTTPS is off', () => {
    expect(directives(tlsAlpnFront({ ...GOOD, httpsEnabled: false }).front)).toEqual([
      'frontend tls_alpn_in',
      'mode tcp',
      'bind *:443',
      'tcp-request inspect-delay 5s',
      'tcp-request content accept if { req.ssl_hello_type 1 } { req.ssl_alpn acme-tls/1 }',
      'tcp-request content reject',
      'use_backend acme_tls_alpn if { req.ssl_alpn acme-tls/1 }',
      '',
      'backend acme_tls_alpn',
      'mode tcp',
      'timeout connect 1s',
      'server acme 127.0.0.1:34000',
      '',
    ]);
  });

  it('indents every directive four spaces, starts blocks at column 0 and ends each block with an empty line', () => {
    const { front } = tlsAlpnFront(GOOD);
    const headers = front.filter((line) => /^(frontend|backend) /.test(line));
    expect(headers).toEqual(['frontend tls_alpn_in', 'backend acme_tls_alpn', 'backend https_internal']);
    expect(front.filter((line) => line !== '' && !headers.includes(line)).every((line) => /^ {4}\S/.test(line))).toBe(
      true,
    );
    expect(front.at(-1)).toBe('');
    expect(front.filter((line) => line === '')).toHaveLength(3);
  });

  it.each([
    ['[::1]:34000', 'server acme [::1]:34000'],
    ['unix@/var/snap/x/common/acme/responder.sock', 'server acme unix@/var/snap/x/common/acme/responder.sock'],
  ])('writes the responder address %s as given', (responder, line) => {
    expect(directives(tlsAlpnFront({ ...GOOD, responder }).front)).toContain(line);
  });

  it.each([
    [
      'ssl crt /a.pem crt-list /l.txt alpn h2,http/1.1',
      'bind unix@/run/haproxy/https.sock mode 600 accept-proxy ssl crt /a.pem crt-list /l.txt alpn h2,http/1.1',
    ],
    ['  ssl crt /a.pem  ', 'bind unix@/run/haproxy/https.sock mode 600 accept-proxy ssl crt /a.pem'],
    ['', 'bind unix@/run/haproxy/https.sock mode 600 accept-proxy'],
  ])('httpsBind(%j) is the internal socket bind with those settings', (settings, line) => {
    expect(tlsAlpnFront(GOOD).httpsBind(settings)).toBe(line);
  });

  it.each(
    (['bind', 'internalSocket', 'responder'] as const).flatMap((name) =>
      HOSTILE_WORD_TAILS.map(([what, tail, , problem]) => [name, what, `${GOOD[name]}${tail}`, problem] as const),
    ),
  )('refuses a %s with %s', (name, _what, value, problem) => {
    const render = (): unknown => tlsAlpnFront({ ...GOOD, [name]: value });
    expect(render).toThrow(ConfigError);
    expect(render).toThrow(
      new RegExp(
        `^Cannot render the TLS-ALPN-01 frontend with ${name} ".*": ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    );
  });

  it.each([
    ['bind', '', 'it is empty'],
    ['responder', '', 'it is empty'],
    ['internalSocket', 'run/haproxy/https.sock', 'it is not an absolute path'],
    ['internalSocket', '', 'it is empty'],
  ] as const)('refuses %s %j: %s', (name, value, problem) => {
    expect(() => tlsAlpnFront({ ...GOOD, [name]: value })).toThrow(
      `Cannot render the TLS-ALPN-01 frontend with ${name} "${value}": ${problem}`,
    );
  });

  it('escapes control and non-ASCII characters in the message', () => {
    expect(() => tlsAlpnFront({ ...GOOD, bind: '*:443\u202e\nx' })).toThrow(
      'Cannot render the TLS-ALPN-01 frontend with bind "*:443\\u202e\\nx": it contains a non-ASCII character (U+202E)',
    );
  });
});
