import { connect } from 'node:tls';

/** Serial (upper-case hex) of the certificate HAProxy serves on 127.0.0.1:port for `servername`, from a real handshake. */
export function servedSerial(port: number, servername: string): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, timeout: 5000 }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      done(serial.toUpperCase());
    });
    socket.once('timeout', () => socket.destroy(new Error(`TLS handshake with 127.0.0.1:${port} timed out`)));
    socket.once('error', fail);
  });
}
