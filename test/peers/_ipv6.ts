import * as net from 'node:net';
import { networkInterfaces } from 'node:os';

/** Whether this machine has the IPv6 loopback address (containers often do not). */
export const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  addresses?.some((a) => a.address === '::1'),
);

/** A TCP relay from [::1]:port to 127.0.0.1:port that counts its connections. */
export interface Ipv6LoopbackBridge {
  server: net.Server;
  connections: number;
}

/**
 * Relays TCP from [::1]:`port` to 127.0.0.1:`port`: the peers' HAProxy binds 127.0.0.1 only (a
 * [::1] bind would stop it starting on machines without IPv6), but pebble validates an IPv6
 * identifier at [::1]. Loopback on both sides; close `server` when done.
 */
export async function bridgeIpv6Loopback(port: number): Promise<Ipv6LoopbackBridge> {
  const bridge: Ipv6LoopbackBridge = { server: net.createServer(), connections: 0 };
  bridge.server.on('connection', (client) => {
    bridge.connections += 1;
    const target = net.connect({ host: '127.0.0.1', port });
    client.pipe(target).pipe(client);
    const close = (): void => void (client.destroy(), target.destroy());
    client.once('error', close).once('close', close);
    target.once('error', close).once('close', close);
  });
  return new Promise((resolve, reject) => {
    bridge.server.once('error', reject);
    bridge.server.listen(port, '::1', () => resolve(bridge));
  });
}
