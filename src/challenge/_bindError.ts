import { ChallengeError } from '../errors';
import { formatListenAddress, type ListenAddress } from './listenAddress';

/** Why listen() failed, as the detail after the colon, keyed by the errno code. */
function tcpDetail(code: string | undefined): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return 'the address is in use by another process; stop that process or pick another port with --http-port';
    case 'EACCES':
      return 'permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE, so pick a port of 1024 or above with --http-port';
    case 'EADDRNOTAVAIL':
      return 'the address is not on this host; pick a local address such as 127.0.0.1 with --http-address';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve; pick a local address such as 127.0.0.1 with --http-address';
    default:
      return undefined;
  }
}

function unixDetail(code: string | undefined): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return 'the socket is in use by another process; stop that process or pick another path with --http-address';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; check that this user may create files in its directory';
    case 'ENOENT':
      return 'its directory does not exist; create it or pick another path with --http-address';
    default:
      return undefined;
  }
}

/**
 * Turns a listen() failure into a ChallengeError that names the address and the fix; `challenge`
 * names the responder (default `HTTP-01`). Only EADDRINUSE is retryable: the other process may be
 * gone by the next attempt.
 */
export function bindError(address: ListenAddress, cause: unknown, challenge = 'HTTP-01'): ChallengeError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const known = address.kind === 'tcp' ? tcpDetail(code) : unixDetail(code);
  const detail = known ?? (cause instanceof Error ? cause.message : String(cause));
  return new ChallengeError(
    'CHALLENGE_BIND',
    `Cannot listen on "${formatListenAddress(address)}" for ${challenge}: ${detail}`,
    { port: address.kind === 'tcp' ? address.port : address.path, cause, retryable: code === 'EADDRINUSE' },
  );
}

/** The error for a unix socket path that exists but is something else (never deleted). */
export function notASocketError(path: string, challenge = 'HTTP-01'): ChallengeError {
  return new ChallengeError(
    'CHALLENGE_BIND',
    `Cannot listen on "unix:${path}" for ${challenge}: the path exists and is not a socket; remove it or pick another path with --http-address`,
    { port: path },
  );
}
