import { HttpChallengeServer, MemoryChallengeTokenRegistry } from '../../../src/challenge';
import { tokenOf } from '../../../src/challenge/_handleRequest';
import { CapturingLogger } from '../../../src/log';
import { KEY_AUTHORIZATION, rawExchange, TOKEN } from './_http';

const P = '/.well-known/acme-challenge/';
const METHOD_NOT_ALLOWED = [
  'HTTP/1.1 405 Method Not Allowed',
  'allow: GET, HEAD',
  'content-length: 19',
  'content-type: text/plain',
  'method not allowed\n',
];

/** The status line, the sorted allow/content-* headers and the body: what every 405 must be. */
function shapeOf(text: string): string[] {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  // Header names are case-insensitive; values are compared exactly.
  const kept = lines
    .map((line) => `${line.slice(0, line.indexOf(':')).toLowerCase()}${line.slice(line.indexOf(':'))}`)
    .filter((line) => /^(allow|content-type|content-length):/.test(line));
  return [statusLine, ...kept.sort(), body];
}

describe('handleChallengeRequest() behind HttpChallengeServer', () => {
  let server: HttpChallengeServer;
  beforeAll(async () => {
    const registry = new MemoryChallengeTokenRegistry();
    await registry.add(TOKEN, KEY_AUTHORIZATION);
    server = new HttpChallengeServer({
      address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      registry,
      logger: new CapturingLogger(),
    });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  test.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND'])(
    'answers %s for a served token with 405, Allow: GET, HEAD and a fixed body',
    async (method) => {
      const exchange = await rawExchange(
        server.address(),
        `${method} ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\nX-Echo: MarkerZ1\r\nConnection: close\r\n\r\n`,
      );
      expect([shapeOf(exchange.text), exchange.text.includes('MarkerZ1')]).toEqual([METHOD_NOT_ALLOWED, false]);
    },
  );

  test('answers CONNECT with the same 405 and closes the connection (node:http alone closes it silently)', async () => {
    const exchange = await rawExchange(
      server.address(),
      'CONNECT a.example.test:443 HTTP/1.1\r\nHost: a.example.test:443\r\n\r\n',
    );
    expect([shapeOf(exchange.text), exchange.text.includes('connection: close'), exchange.closedByServer]).toEqual([
      METHOD_NOT_ALLOWED,
      true,
      true,
    ]);
  });

  test('a POST with a body gets the 405 and the connection closes, so the body is never parsed as a request', async () => {
    const smuggled = `GET ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const payload = `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    const exchange = await rawExchange(server.address(), payload);
    expect([shapeOf(exchange.text), exchange.text.match(/HTTP\/1\.1 /g)?.length, exchange.closedByServer]).toEqual([
      METHOD_NOT_ALLOWED,
      1,
      true,
    ]);
  });

  test('Expect: 100-continue gets no interim "100 Continue" that would invite the body', async () => {
    const payload = `POST ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`;
    const exchange = await rawExchange(server.address(), payload);
    expect([
      exchange.text.startsWith('HTTP/1.1 405 '),
      exchange.text.includes('100 Continue'),
      exchange.closedByServer,
    ]).toEqual([true, false, true]);
  });

  test('an Upgrade request is answered with connection: close and bytes after it are never answered', async () => {
    const payload = `GET ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nGET ${P}${TOKEN} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const exchange = await rawExchange(server.address(), payload);
    const [head = '', body] = exchange.text.split('\r\n\r\n', 2);
    expect([
      head.split('\r\n')[0],
      head.toLowerCase().includes('connection: close'),
      body,
      exchange.closedByServer,
    ]).toEqual(['HTTP/1.1 200 OK', true, KEY_AUTHORIZATION, true]);
  });

  test('answers HEAD for an unknown token with 404 and no body', async () => {
    const exchange = await rawExchange(server.address(), `HEAD ${P}x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect([exchange.text.split('\r\n')[0], exchange.text.split('\r\n\r\n')[1]]).toEqual([
      'HTTP/1.1 404 Not Found',
      '',
    ]);
  });
});

describe('tokenOf()', () => {
  test.each<[string, string | undefined, string | undefined]>([
    ['a token', `${P}${TOKEN}`, TOKEN],
    ['a token and a query', `${P}${TOKEN}?a=../b`, TOKEN],
    ['no target', undefined, undefined],
    ['the bare prefix', P, undefined],
    ['a dot-dot', `${P}../../etc/passwd`, undefined],
    ['a percent-encoded dot-dot', `${P}%2e%2e%2f${TOKEN}`, undefined],
    ['a double slash', `${P}/${TOKEN}`, undefined],
    ['a trailing slash', `${P}${TOKEN}/`, undefined],
    ['a NUL', `${P}${TOKEN}\0`, undefined],
    ['a fragment', `${P}${TOKEN}#x`, undefined],
    ['a non-ASCII letter', `${P}${TOKEN.slice(1)}é`, undefined],
    ['an overlong token (129)', `${P}${'A'.repeat(129)}`, undefined],
    ['an absolute-form target', `http://a${P}${TOKEN}`, undefined],
    ['another prefix', `/.well-known/acme-challengeX/${TOKEN}`, undefined],
  ])('tokenOf() for %s', (_label, target, expected) => {
    expect(tokenOf(target)).toBe(expected);
  });
});
