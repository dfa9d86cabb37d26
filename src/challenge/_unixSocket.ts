import { lstat, unlink } from 'node:fs/promises';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import { formatListenAddress, type ListenAddress } from './listenAddress';
import { connect } from 'node:net';
import { bindError, notASocketError } from './_bindError';

/** Whether some process accepts connections on the unix socket at `path`. */
function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Clears the way for listen(): removes a stale socket file left by a crashed run. A regular
 * file is never deleted, and neither is a socket another process still listens on. `challenge`
 * names the responder in errors (default `HTTP-01`).
 * @throws ChallengeError CHALLENGE_BIND
 */
export async function removeStaleSocket(path: string, challenge = 'HTTP-01'): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw bindError({ kind: 'unix', path }, error, challenge);
  }
  if (!isSocket) throw notASocketError(path, challenge);
  if (await isListening(path)) {
    throw bindError({ kind: 'unix', path }, Object.assign(new Error('in use'), { code: 'EADDRINUSE' }), challenge);
  }
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw bindError({ kind: 'unix', path }, error, challenge);
  });
}

/** Removes our socket file after close (libuv usually did already); only ever a socket. */
export async function removeOwnSocket(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * After a responder closed: removes its socket file when it listened on one (a failure is only a
 * warning: the next start removes a stale file anyway), then logs that it stopped.
 */
export async function finishStop(
  address: ListenAddress,
  logger: Logger,
  challenge: 'HTTP-01' | 'TLS-ALPN-01',
): Promise<void> {
  if (address.kind === 'unix') {
    await removeOwnSocket(address.path).catch((error: unknown) =>
      logger.warn(`Cannot remove the ${challenge} socket file`, { path: address.path, error: messageOf(error) }),
    );
  }
  logger.debug(`${challenge} responder stopped`, { address: formatListenAddress(address) });
}
