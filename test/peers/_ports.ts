import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Whether a UDP socket can bind `127.0.0.1:<port>` right now. */
async function isUdpPortFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A port free for both TCP and UDP on 127.0.0.1 (a DNS server listens on both). */
export async function freeTcpAndUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = await freePort();
    if (await isUdpPortFree(port)) return port;
  }
  throw new Error('Cannot find a port free for both TCP and UDP on "127.0.0.1": 20 attempts failed');
}

/** `count` distinct free TCP ports, none of them in `exclude` (the kernel may hand one out twice). */
export async function freePorts(count: number, exclude: readonly number[] = []): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = await freePort();
    if (!exclude.includes(port)) ports.add(port);
  }
  return [...ports];
}
