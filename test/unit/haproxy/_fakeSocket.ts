/**
 * A scripted stand-in for a HAProxy runtime socket: a real unix socket in a temp dir that reads
 * each request until the client half-closes, records it, and answers with `respond(request)`
 * (then closes, like HAProxy's non-interactive mode). `respond` returning undefined means "hang".
 */
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running fake socket. */
export interface FakeSocket {
  socketPath: string;
  /** Every request received, in arrival order, exactly as sent. */
  requests: string[];
  /** The command lines received (severity prefix and payload removed). */
  commands(): string[];
  close(): Promise<void>;
}

/** Starts a fake runtime socket that answers each request with `respond(request)`. */
export async function startFakeSocket(
  respond: (request: string) => string | undefined | Promise<string | undefined>,
): Promise<FakeSocket> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'haproxy-acme-fake-sock-'));
  const socketPath = path.join(dir, 'admin.sock');
  const requests: string[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    let request = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (request += chunk));
    socket.on('error', () => undefined);
    socket.once('end', () => {
      requests.push(request);
      void Promise.resolve(respond(request)).then((reply) => {
        if (reply !== undefined) socket.end(reply);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    commands: () =>
      requests.map((request) =>
        (request.split('\n')[0] ?? '').replace(/^set severity-output number; /, '').replace(/ <<$/, ''),
      ),
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
