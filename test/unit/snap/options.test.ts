import {
  BIND_DETAIL,
  DEFAULT_HTTP_BIND,
  DEFAULT_HTTPS_BIND,
  fixedOptionProblems,
  parseWrapperOptions,
  portClashProblems,
  quoteValue,
  stagingProblems,
  type WrapperOptions,
} from '../../../src/snap';

function valid(values: Record<string, unknown>): WrapperOptions {
  const parsed = parseWrapperOptions(values);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value;
}

describe('parseWrapperOptions()', () => {
  test('parseWrapperOptions() gives Immich Distribution\'s defaults when nothing is set', () => {
    expect([DEFAULT_HTTP_BIND, DEFAULT_HTTPS_BIND]).toEqual(['*:80', '*:443']);
    expect(valid({})).toEqual({
      httpEnabled: true,
      httpsEnabled: false,
      httpsRedirect: false,
      httpBind: { text: '*:80', ports: [{ first: 80, last: 80 }] },
      httpsBind: { text: '*:443', ports: [{ first: 443, last: 443 }] },
      backend: undefined,
    });
  });

  test.each<[string, unknown, keyof WrapperOptions, boolean]>([
    ['http-enabled', false, 'httpEnabled', false],
    ['http-enabled', 'false', 'httpEnabled', false],
    ['http-enabled', 'true', 'httpEnabled', true],
    ['http-enabled', '', 'httpEnabled', true],
    ['https-redirect', 'true', 'httpsRedirect', true],
    ['https-redirect', undefined, 'httpsRedirect', false],
  ])('parseWrapperOptions() reads %s %j', (key, value, field, expected) => {
    expect(valid({ [key]: value })[field]).toBe(expected);
  });

  test.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
    ['', false],
    [undefined, false],
  ])('parseWrapperOptions() reads https-enabled %j as %j', (value, expected) => {
    expect(valid({ 'https-enabled': value }).httpsEnabled).toBe(expected);
  });

  const one = (port: number) => [{ first: port, last: port }];
  test.each<[string, { first: number; last: number }[]]>([
    ['*:80', one(80)],
    [':8080', one(8080)],
    ['0.0.0.0:80', one(80)],
    ['127.0.0.1:65535', one(65535)],
    ['[::]:443', one(443)],
    ['[::1]:1', one(1)],
    [':::80', one(80)],
    ['::1:80', one(80)],
    ['ipv6@:::80', one(80)],
    ['ipv4@127.0.0.1:80', one(80)],
    ['ipv4@:80', one(80)],
    ['localhost:80', one(80)],
    ['photos.example.org:8443', one(8443)],
    ['*:80,*:81', [...one(80), ...one(81)]],
    ['192.0.2.7:80,[2001:db8::7]:80', [...one(80), ...one(80)]],
    ['*:8000-8010', [{ first: 8000, last: 8010 }]],
    [' *:80 ', one(80)],
  ])('parseWrapperOptions() accepts the bind %j', (bind, ports) => {
    expect(valid({ 'haproxy-http-bind': bind }).httpBind).toEqual({ text: bind.trim(), ports });
  });

  const BIND = BIND_DETAIL;
  test.each<[unknown, string]>([
    ['80', `Invalid snap option haproxy-http-bind "80": ${BIND}`],
    [80, `Invalid snap option haproxy-http-bind "80": ${BIND}`],
    ['*:0', `Invalid snap option haproxy-http-bind "*:0": ${BIND}`],
    ['*:65536', `Invalid snap option haproxy-http-bind "*:65536": ${BIND}`],
    ['*:8010-8000', `Invalid snap option haproxy-http-bind "*:8010-8000": ${BIND}`],
    ['*:80-81-82', `Invalid snap option haproxy-http-bind "*:80-81-82": ${BIND}`],
    ['*:80,', `Invalid snap option haproxy-http-bind "*:80,": ${BIND}`],
    [Array(17).fill('*:80').join(','), `Invalid snap option haproxy-http-bind ${quoteValue(Array(17).fill('*:80').join(','))}: ${BIND}`],
    ['[::g]:80', `Invalid snap option haproxy-http-bind "[::g]:80": ${BIND}`],
    ['300.1.1.1:80', `Invalid snap option haproxy-http-bind "300.1.1.1:80": ${BIND}`],
    ['ipv4@[::1]:80', `Invalid snap option haproxy-http-bind "ipv4@[::1]:80": ${BIND}`],
    ['ipv6@127.0.0.1:80', `Invalid snap option haproxy-http-bind "ipv6@127.0.0.1:80": ${BIND}`],
    ['unix@/run/x.sock', `Invalid snap option haproxy-http-bind "unix@/run/x.sock": ${BIND}`],
    ['fd@3:80', `Invalid snap option haproxy-http-bind "fd@3:80": ${BIND}`],
    ['-bad-.example:80', `Invalid snap option haproxy-http-bind "-bad-.example:80": ${BIND}`],
    ['*:80 ssl crt /etc/passwd', `Invalid snap option haproxy-http-bind "*:80 ssl crt /etc/passwd": ${BIND}`],
    ['*:80\nlisten x', `Invalid snap option haproxy-http-bind "*:80\\nlisten x": ${BIND}`],
    ['*:80#', `Invalid snap option haproxy-http-bind "*:80#": ${BIND}`],
    ['${HOME}:80', `Invalid snap option haproxy-http-bind "\${HOME}:80": ${BIND}`],
    [{ port: 80 }, `Invalid snap option haproxy-http-bind "{\\"port\\":80}": ${BIND}`],
  ])('parseWrapperOptions() rejects the bind %j', (bind, message) => {
    expect(parseWrapperOptions({ 'haproxy-http-bind': bind })).toEqual({ ok: false, problems: [message] });
  });

  test.each<[unknown, string]>([
    ['maybe', 'Invalid snap option https-enabled "maybe": expected true or false'],
    ['yes', 'Invalid snap option https-enabled "yes": expected true or false'],
    [1, 'Invalid snap option https-enabled "1": expected true or false'],
    ['TRUE', 'Invalid snap option https-enabled "TRUE": expected true or false'],
  ])('parseWrapperOptions() rejects https-enabled %j', (value, message) => {
    expect(parseWrapperOptions({ 'https-enabled': value })).toEqual({ ok: false, problems: [message] });
  });

  test.each<[string, boolean]>([
    ['127.0.0.1:3001', true],
    ['[::1]:3000', true],
    ['*:3000', false],
    [':3000', false],
    ['app.internal:3000', false],
  ])('parseWrapperOptions() takes haproxy-backend %j: %j', (value, ok) => {
    expect(parseWrapperOptions({ 'haproxy-backend': value }).ok).toBe(ok);
  });

  test('parseWrapperOptions() reports every bad option', () => {
    const parsed = parseWrapperOptions({ 'https-enabled': 'on', 'haproxy-https-bind': 'x', 'haproxy-backend': '*:1' });
    expect(parsed.ok ? [] : parsed.problems.map((line) => line.split(':')[0])).toEqual([
      'Invalid snap option https-enabled "on"',
      'Invalid snap option haproxy-https-bind "x"',
      'Invalid snap option haproxy-backend "*',
    ]);
  });
});

describe('stagingProblems()', () => {
  test.each<[unknown, boolean]>([
    [undefined, true],
    ['', true],
    [true, true],
    [false, true],
    ['true', true],
    [' false ', true],
    ['yes', false],
    ['1', false],
    [1, false],
    ['TRUE', false],
    ['true\n', true],
    [['true'], false],
  ])('stagingProblems() with acme-staging %j: accepted %j', (value, accepted) => {
    const problems = stagingProblems({ 'acme-staging': value });
    const explained = /^Invalid snap option acme-staging .*: expected true or false \(Immich Distribution counted only the literal true as staging\)/;
    expect(problems.map((problem) => explained.test(problem))).toEqual(accepted ? [] : [true]);
  });
});

describe('fixedOptionProblems()', () => {
  test.each<[Record<string, unknown>, string[]]>([
    [{}, []],
    [{ 'acme-home': '', 'haproxy-socket': null }, []],
    [{ 'acme-domain': 'example.com', 'acme-port': 34000 }, []],
    [
      { 'haproxy-crt-list': '/etc/haproxy/crt-list.txt' },
      [
        'Invalid snap option haproxy-crt-list "/etc/haproxy/crt-list.txt": this snap uses the crt-list of its own HAProxy, ' +
          '$SNAP_COMMON/acme/crt-list.txt; unset it with "snap unset <snap> haproxy-crt-list"',
      ],
    ],
    [
      { 'haproxy-master-socket': 'ipv4@127.0.0.1:9999' },
      [
        'Invalid snap option haproxy-master-socket "ipv4@127.0.0.1:9999": this snap uses the master socket of its own HAProxy, ' +
          '$SNAP_DATA/haproxy/master.sock; unset it with "snap unset <snap> haproxy-master-socket"',
      ],
    ],
  ])('fixedOptionProblems(%j)', (values, problems) => {
    expect(fixedOptionProblems(values)).toEqual(problems);
  });
});

describe('portClashProblems()', () => {
  test.each<[Record<string, unknown>, number | undefined, unknown, string[]]>([
    [{}, 34000, 34000, []],
    [{}, undefined, undefined, []],
    [{ 'https-enabled': false, 'haproxy-https-bind': '*:80' }, 34000, undefined, []],
    [
      { 'https-enabled': true, 'haproxy-https-bind': '*:80' },
      34000,
      undefined,
      ['Invalid snap option haproxy-https-bind "*:80": haproxy-http-bind "*:80" uses the same port'],
    ],
    [
      {},
      80,
      80,
      [
        'Invalid snap option acme-port "80": haproxy-http-bind "*:80" listens on the same port; ' +
          'choose another port, or unset acme-port to have a free one picked',
      ],
    ],
    [
      { 'https-enabled': true },
      443,
      '443',
      [
        'Invalid snap option acme-port "443": haproxy-https-bind "*:443" listens on the same port; ' +
          'choose another port, or unset acme-port to have a free one picked',
      ],
    ],
    [{ 'https-enabled': false }, 443, 443, []],
    [{ 'http-enabled': false }, 80, 80, []],
    [{ 'http-enabled': false, 'https-enabled': true, 'haproxy-https-bind': '*:80' }, 34000, undefined, []],
    [
      { 'https-enabled': true, 'haproxy-http-bind': '*:8000-8010', 'haproxy-https-bind': '127.0.0.1:8443,[::1]:8005' },
      34000,
      undefined,
      ['Invalid snap option haproxy-https-bind "127.0.0.1:8443,[::1]:8005": haproxy-http-bind "*:8000-8010" uses the same port'],
    ],
    [
      { 'haproxy-http-bind': '*:34000-34010' },
      34005,
      undefined,
      [
        'Invalid snap option acme-port "34005": haproxy-http-bind "*:34000-34010" listens on the same port; ' +
          'choose another port, or unset acme-port to have a free one picked',
      ],
    ],
  ])('portClashProblems(%j, responder port %j)', (values, port, acmePort, problems) => {
    const wrapper = parseWrapperOptions(values);
    expect(wrapper.ok && portClashProblems(wrapper.value, { responderPort: port, acmePortValue: acmePort })).toEqual(problems);
  });

  test('portClashProblems() counts the HTTPS bind while it listens for TLS-ALPN-01 alone', () => {
    const wrapper = parseWrapperOptions({});
    const clash = (httpsBindForChallenges: boolean) =>
      wrapper.ok && portClashProblems(wrapper.value, { responderPort: 443, acmePortValue: '443', httpsBindForChallenges });
    expect([clash(false), clash(true)]).toEqual([
      [],
      [
        'Invalid snap option acme-port "443": haproxy-https-bind "*:443" listens on the same port; ' +
          'choose another port, or unset acme-port to have a free one picked',
      ],
    ]);
  });
});

describe('quoteValue()', () => {
  test.each<[unknown, string]>([
    ['abc', '"abc"'],
    [34000, '"34000"'],
    [true, '"true"'],
    ['a"b\n', '"a\\"b\\n"'],
    ['x'.repeat(100), `"${'x'.repeat(80)}…"`],
    ['a\u007fb\u0085c', '"a\\u007fb\\u0085c"'],
    ['a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['\u202eab\u200b\ufeff', '"\\u202eab\\u200b\\ufeff"'],
    ['a\u{e0041}', '"a\\u{e0041}"'],
    ['\ud800', '"\\ud800"'],
    ['caf\u00e9 \u{1f600}', '"caf\u00e9 \u{1f600}"'],
  ])('quoteValue(%j) is %s', (value, quoted) => {
    expect(quoteValue(value)).toBe(quoted);
  });
});
