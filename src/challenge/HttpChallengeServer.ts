import { chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { ChallengeTokenRegistry } from './ChallengeTokenRegistry';
import { bindError } from './_bindError';
import { trackConnections } from './_connections';
import { CONNECT_REPLY, handleChallengeRequest } from './_handleRequest';
import { finishStop, removeStaleSocket } from './_unixSocket';
import { formatListenAddress, type ListenAddress } from './listenAddress';

/**
 * Mode of the unix socket file: owner and group may connect. HAProxy runs as another user
 * (haproxy), so put it in the socket's group; 0666 would let every local user in.
 */
export const UNIX_SOCKET_MODE = 0o660;

/** Idle keep-alive connections are closed after this long. */
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** Requests served per connection before it is closed. */
const MAX_REQUESTS_PER_SOCKET = 100;
/** Default of HttpChallengeServerOptions.maxConnections. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** Options of HttpChallengeServer. */
export interface HttpChallengeServerOptions {
  /** Where to listen; TCP port 0 picks a free port (see address()). */
  address: ListenAddress;
  /** Where key authorizations are looked up. */
  registry: ChallengeTokenRegistry;
  logger: Logger;
  /** Time allowed to receive a whole request, headers included. Default: 5000 ms. */
  requestTimeoutMs?: number;
  /** Largest request line plus headers accepted; larger gets HTTP 431. Default: 2048 bytes. */
  maxHeaderBytes?: number;
  /**
   * Open connections kept at most; beyond it the oldest connection not being answered is closed,
   * which bounds memory under a flood or a slowloris. Default: 1024 (DEFAULT_MAX_CONNECTIONS).
   */
  maxConnections?: number;
}

/**
 * The HTTP-01 responder (RFC 8555 §8.3): answers `GET`/`HEAD /.well-known/acme-challenge/<token>`
 * with the key authorization, other methods with 405 and every other request with 404, never
 * echoing the request. It can be started again after stop().
 */
export class HttpChallengeServer {
  private server: Server | undefined;
  private starting: Promise<void> | undefined;
  private bound: ListenAddress | undefined;
  private countConnections: (() => number) | undefined;

  constructor(private readonly options: HttpChallengeServerOptions) {}

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
    server.closeAllConnections();
    await closed;
    await finishStop(this.options.address, this.options.logger, 'HTTP-01');
  }

  /** The bound address, with the port resolved when 0 was asked; the configured one while stopped. */
  address(): ListenAddress {
    return this.bound ?? this.options.address;
  }

  /** Connections open right now (0 while stopped); at most maxConnections. */
  openConnections(): number {
    return this.server === undefined ? 0 : (this.countConnections?.() ?? 0);
  }

  private async listen(): Promise<void> {
    const address = this.options.address;
    if (address.kind === 'unix') await removeStaleSocket(address.path);
    const server = this.createHttpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const target = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
      server.listen(target, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw bindError(address, error);
    });
    server.on('error', (error) =>
      this.options.logger.warn('HTTP-01 responder error', {
        address: formatListenAddress(address),
        error: messageOf(error),
      }),
    );
    if (address.kind === 'unix') {
      await chmod(address.path, UNIX_SOCKET_MODE).catch(async (error: unknown) => {
        await new Promise((resolve) => server.close(resolve));
        throw bindError(address, error);
      });
    }
    this.server = server;
    this.bound = address.kind === 'unix' ? address : { ...address, port: (server.address() as AddressInfo).port };
    this.options.logger.debug('HTTP-01 responder listening', { address: formatListenAddress(this.bound) });
  }

  private createHttpServer(): Server {
    const timeoutMs = this.options.requestTimeoutMs ?? 5000;
    const server = createServer(
      {
        maxHeaderSize: this.options.maxHeaderBytes ?? 2048,
        requestTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        // Node checks the two timeouts above only this often (default 30 s).
        connectionsCheckingInterval: Math.min(timeoutMs, 1000),
      },
      (request, response) => {
        handleChallengeRequest(request, response, this.options).catch((error: unknown) => {
          this.options.logger.warn('HTTP-01 request failed', { error: messageOf(error) });
          response.destroy();
        });
      },
    );
    server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
    // A connection that stalls while we write the answer is dropped too.
    server.timeout = timeoutMs;
    // Without a listener node:http would send "100 Continue", inviting a body we never read.
    server.on('checkContinue', (request, response) => server.emit('request', request, response));
    // Without a listener node:http closes a CONNECT silently; answer it like any other method.
    server.on('connect', (_request, socket: Duplex) => {
      socket.on('error', () => undefined);
      socket.end(CONNECT_REPLY, () => socket.destroy());
    });
    this.countConnections = trackConnections(server, {
      maxConnections: this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      onLimitReached: () =>
        this.options.logger.warn(
          'HTTP-01 responder reached its connection limit; closing the oldest idle connections',
          {
            maxConnections: this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          },
        ),
    });
    return server;
  }
}
