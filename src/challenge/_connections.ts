import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Options of trackConnections. */
export interface TrackConnectionsOptions {
  /** Open connections kept at most; the oldest idle one is closed to make room. */
  maxConnections: number;
  /** Called once, the first time the limit is reached (a flood or a slowloris). */
  onLimitReached: () => void;
}

/**
 * Keeps at most `maxConnections` connections open on `server`. A connection beyond the limit
 * closes the oldest one that is not being answered (a slowloris holding half a request, or an
 * idle keep-alive), not the newcomer: an attacker who fills the limit with slow connections
 * would otherwise shut the CA out until they time out. Only when every open connection is being
 * answered is the newcomer closed. Returns the count of open connections.
 */
export function trackConnections(server: Server, options: TrackConnectionsOptions): () => number {
  // Insertion order is age order; the value counts requests being answered (pipelining).
  const open = new Map<Socket, number>();
  let limitReported = false;
  server.on('connection', (socket: Socket) => {
    open.set(socket, 0);
    socket.once('close', () => open.delete(socket));
    if (open.size <= options.maxConnections) return;
    if (!limitReported) {
      limitReported = true;
      options.onLimitReached();
    }
    const victim = oldestIdle(open, socket) ?? socket;
    // Forget it now: a burst of newcomers must not all count the same victim as still open.
    open.delete(victim);
    victim.destroy();
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const answering = open.get(socket);
    if (answering === undefined) return;
    open.set(socket, answering + 1);
    response.once('close', () => {
      const left = open.get(socket);
      if (left !== undefined) open.set(socket, left - 1);
    });
  });
  return () => open.size;
}

function oldestIdle(open: Map<Socket, number>, newcomer: Socket): Socket | undefined {
  for (const [socket, answering] of open) {
    if (answering === 0 && socket !== newcomer) return socket;
  }
  return undefined;
}
