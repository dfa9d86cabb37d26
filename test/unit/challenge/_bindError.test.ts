import type { ListenAddress } from '../../../src/challenge';
import { bindError } from '../../../src/challenge/_bindError';

const TCP: ListenAddress = { kind: 'tcp', host: '127.0.0.1', port: 80 };
const UNIX: ListenAddress = { kind: 'unix', path: '/run/acme/http.sock' };
const errno = (code: string, message = `listen ${code}`) => Object.assign(new Error(message), { code });

describe('bindError()', () => {
  test.each([
    [
      TCP,
      'EADDRINUSE',
      'Cannot listen on "127.0.0.1:80" for HTTP-01: the address is in use by another process; stop that process or pick another port with --http-port',
    ],
    [
      TCP,
      'EACCES',
      'Cannot listen on "127.0.0.1:80" for HTTP-01: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE, so pick a port of 1024 or above with --http-port',
    ],
    [
      TCP,
      'EADDRNOTAVAIL',
      'Cannot listen on "127.0.0.1:80" for HTTP-01: the address is not on this host; pick a local address such as 127.0.0.1 with --http-address',
    ],
    [
      TCP,
      'ENOTFOUND',
      'Cannot listen on "127.0.0.1:80" for HTTP-01: the host name does not resolve; pick a local address such as 127.0.0.1 with --http-address',
    ],
    [TCP, 'EMFILE', 'Cannot listen on "127.0.0.1:80" for HTTP-01: listen EMFILE'],
    [
      UNIX,
      'EADDRINUSE',
      'Cannot listen on "unix:/run/acme/http.sock" for HTTP-01: the socket is in use by another process; stop that process or pick another path with --http-address',
    ],
    [
      UNIX,
      'EACCES',
      'Cannot listen on "unix:/run/acme/http.sock" for HTTP-01: permission denied; check that this user may create files in its directory',
    ],
    [
      UNIX,
      'ENOENT',
      'Cannot listen on "unix:/run/acme/http.sock" for HTTP-01: its directory does not exist; create it or pick another path with --http-address',
    ],
  ])('bindError(%j, %s) names the address and the fix', (address, code, message) => {
    const cause = errno(code);
    const error = bindError(address, cause);
    expect([error.code, error.message, error.cause, error.port, error.retryable]).toEqual([
      'CHALLENGE_BIND',
      message,
      cause,
      address.kind === 'tcp' ? address.port : address.path,
      code === 'EADDRINUSE',
    ]);
  });

  test('bindError() keeps the text of a non-Error cause', () => {
    expect(bindError(TCP, 'boom').message).toBe('Cannot listen on "127.0.0.1:80" for HTTP-01: boom');
  });
});
