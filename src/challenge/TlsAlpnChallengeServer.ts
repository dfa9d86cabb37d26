import { chmod } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { ChallengeError, messageOf } from '../errors';
import type { Logger } from '../log';
import { createAlpnCertificate, isAlpnIdentifier, sniNameOf, type AlpnIdentifier } from './_alpnCertificate';
import { bindError } from './_bindError';
import { finishStop, removeStaleSocket } from './_unixSocket';
import { DEFAULT_MAX_CONNECTIONS, UNIX_SOCKET_MODE } from './HttpChallengeServer';
import { formatListenAddress, type ListenAddress } from './listenAddress';

/** RFC 8737 §6.2: the only ALPN protocol the responder speaks. */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';
/** The longest SNI name looked up (RFC 1035: 253 characters, plus a trailing dot). */
const MAX_SNI_CHARS = 254;

/** Options of TlsAlpnChallengeServer. */
export interface TlsAlpnChallengeServerOptions {
  /** Where to listen; TCP port 0 picks a free port (see address()). */
  address: ListenAddress;
  logger: Logger;
  /** Time allowed for the whole TLS handshake; then the connection is closed. Default: 5000 ms. */
  handshakeTimeoutMs?: number;
  /**
   * Open connections kept at most; beyond it the oldest is closed (every connection is either in
   * its handshake or closing), which bounds memory under a flood or slow handshakes. Default: 1024.
   */
  maxConnections?: number;
  /** The validity of each certificate starts from this. Default: `() => new Date()`. */
  now?: () => Date;
}

interface Presented {
  readonly token: string;
  readonly context: SecureContext;
}

/**
 * The TLS-ALPN-01 responder (RFC 8737): a TLS server that completes a handshake only when the
 * client offers ALPN `acme-tls/1` and names, by SNI, an identifier whose challenge is presented;
 * it then presents that identifier's self-signed challenge certificate and closes the connection
 * (RFC 8737 §3: no application data follows). Any other ALPN, no ALPN, no SNI or an unknown SNI
 * fails. It can be started again after stop().
 */
export class TlsAlpnChallengeServer {
  private server: Server | undefined;
  private starting: Promise<void> | undefined;
  private bound: ListenAddress | undefined;
  private readonly open = new Set<Socket>();
  /** SNI name (lower case) → the challenge presented for it. */
  private readonly bySni = new Map<string, Presented>();
  private limitReported = false;

  constructor(private readonly options: TlsAlpnChallengeServerOptions) {}

  /**
   * Makes `identifier` answer with the certificate for `keyAuthorization`, replacing an earlier
   * one for the same name; `token` is what remove() takes back.
   * @throws ChallengeError CHALLENGE_INVALID when the identifier cannot be put in a certificate
   */
  present(token: string, keyAuthorization: string, identifier: AlpnIdentifier): void {
    if (!isAlpnIdentifier(identifier)) {
      const shown = JSON.stringify(
        identifier.value.length > 64 ? `${identifier.value.slice(0, 64)}…` : identifier.value,
      );
      throw new ChallengeError(
        'CHALLENGE_INVALID',
        `Cannot present TLS-ALPN-01 for ${shown}: it is not a DNS name or IP address a certificate can name`,
      );
    }
    const { keyPem, certPem } = createAlpnCertificate(
      identifier,
      keyAuthorization,
      (this.options.now ?? (() => new Date()))(),
    );
    const context = createSecureContext({ key: keyPem, cert: certPem });
    this.bySni.set(sniNameOf(identifier), { token, context });
  }

  /** Stops answering for the identifier presented under `token`; succeeds for a token never presented. */
  remove(token: string): void {
    for (const [name, presented] of this.bySni) {
      if (presented.token === token) this.bySni.delete(name);
    }
  }

  /** Binds the address; resolves once listening. Calling it while started does nothing. @throws ChallengeError CHALLENGE_BIND */
  start(): Promise<void> {
    if (this.server !== undefined) return Promise.resolve();
    this.starting ??= this.listen().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Closes the listener and every open connection, and removes the unix socket file. Idempotent. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.bound = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    await closed;
    await finishStop(this.options.address, this.options.logger, 'TLS-ALPN-01');
  }

  /** The bound address, with the port resolved when 0 was asked; the configured one while stopped. */
  address(): ListenAddress {
    return this.bound ?? this.options.address;
  }

  /** Connections open right now (0 while stopped); at most maxConnections. */
  openConnections(): number {
    return this.server === undefined ? 0 : this.open.size;
  }

  private async listen(): Promise<void> {
    const address = this.options.address;
    if (address.kind === 'unix') await removeStaleSocket(address.path, 'TLS-ALPN-01');
    const server = this.createTlsServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const target = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
      server.listen(target, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw bindError(address, error, 'TLS-ALPN-01');
    });
    server.on('error', (error) =>
      this.options.logger.warn('TLS-ALPN-01 responder error', {
        address: formatListenAddress(address),
        error: messageOf(error),
      }),
    );
    if (address.kind === 'unix') {
      await chmod(address.path, UNIX_SOCKET_MODE).catch(async (error: unknown) => {
        await new Promise((resolve) => server.close(resolve));
        throw bindError(address, error, 'TLS-ALPN-01');
      });
    }
    this.server = server;
    this.bound = address.kind === 'unix' ? address : { ...address, port: (server.address() as AddressInfo).port };
    this.options.logger.debug('TLS-ALPN-01 responder listening', { address: formatListenAddress(this.bound) });
  }

  private createTlsServer(): Server {
    const server = createServer({
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 5000,
      // RFC 8737 §3 requires TLS 1.2 or later.
      minVersion: 'TLSv1.2',
      // Without SNI no context is chosen, and with no default certificate the handshake fails.
      SNICallback: (servername, callback) => {
        const presented =
          servername.length <= MAX_SNI_CHARS ? this.bySni.get(servername.toLowerCase().replace(/\.$/, '')) : undefined;
        if (presented === undefined) callback(new Error('no TLS-ALPN-01 challenge for this name'));
        else callback(null, presented.context);
      },
      // RFC 8737 §3: only acme-tls/1; returning undefined fails the handshake (no_application_protocol).
      ALPNCallback: ({ protocols }) =>
        protocols.includes(ACME_TLS_ALPN_PROTOCOL) ? ACME_TLS_ALPN_PROTOCOL : undefined,
    });
    server.on('connection', (socket: Socket) => this.track(socket));
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.on('error', () => undefined);
      // A client that sent no ALPN extension never reaches ALPNCallback: refuse it here.
      if (socket.alpnProtocol !== ACME_TLS_ALPN_PROTOCOL) {
        socket.destroy();
        return;
      }
      // RFC 8737 §3: the client closes once the handshake is done and sends no data.
      socket.on('data', () => socket.destroy());
      socket.end();
    });
    // Unknown SNI, wrong ALPN, handshake timeouts: expected from scanners, so only at debug level,
    // and only Node's message (it never holds key material).
    // With a listener, Node leaves closing the socket to it (a handshake timeout would otherwise hold it).
    server.on('tlsClientError', (error, socket) => {
      socket.destroy();
      this.options.logger.debug('TLS-ALPN-01 handshake refused', { error: messageOf(error).slice(0, 200) });
    });
    return server;
  }

  /** Keeps at most maxConnections sockets: a newcomer beyond it closes the oldest. */
  private track(socket: Socket): void {
    const maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    if (this.open.size <= maxConnections) return;
    if (!this.limitReported) {
      this.limitReported = true;
      this.options.logger.warn('TLS-ALPN-01 responder reached its connection limit; closing the oldest connections', {
        maxConnections,
      });
    }
    const oldest = this.open.values().next().value as Socket;
    this.open.delete(oldest);
    oldest.destroy();
  }
}
