import { setTimeout as sleep } from 'node:timers/promises';

import { HaproxyError } from '../errors';
import type { Logger } from '../log';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
import {
  parseShowInfo,
  parseShowSslCert,
  parseShowSslCertList,
  parseShowSslCrtList,
  parseShowSslCrtLists,
  type CrtListEntry,
  type ShowInfo,
  type SslCertInfo,
  type SslCertList,
} from './_parse';
import {
  DEFAULT_BUFFER_SIZE,
  SEVERITY_PREFIX,
  checkPayloadSize,
  commandLine,
  crtListLine,
  payloadRequest,
  sanitiseCertificatePayload,
} from './_payload';
import {
  classifyReply,
  isLockedReply,
  replyError,
  stripSeverity,
  type ClassifiedReply,
  type ReplyOutcome,
} from './_reply';
import { sendRequest } from './_socket';

/** Options of `RuntimeClient`. */
export interface RuntimeClientOptions {
  endpoint: RuntimeEndpoint;
  /** Limit for one command, connect to close. Default: 30000 (a commit on many binds streams for a while). */
  timeoutMs?: number;
  /** HAProxy's `tune.bufsize`: payload commands must fit in it. Default: 16384. */
  bufferSize?: number;
  logger: Logger;
}

/** Options of one command. */
export interface CommandOptions {
  /**
   * Stops the command: its connection is destroyed and it rejects with `signal.reason` (HAProxy may
   * have run it or not). Default: none.
   */
  signal?: AbortSignal;
}

/** Resolves after `ms`; rejects with `signal.reason` as soon as it aborts. */
function pauseUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return sleep(ms, undefined, signal === undefined ? {} : { signal }).catch((error: unknown) => {
    throw signal?.aborted === true ? signal.reason : error;
  });
}

/** One line to add with `addSslCrtList()`. */
export interface CrtListLine {
  /** The certificate's name in HAProxy (its path). */
  path: string;
  /** SSL bind options, the text between `[` and `]`, e.g. `alpn h2,http/1.1`. Default: none. */
  options?: string;
  /** SNI filters, e.g. `['example.com', '!www.example.com']`. Default: none (the certificate's names). */
  sni?: string[];
}

/**
 * Attempts and delay when HAProxy answers "Operations on certificates are currently locked!": it
 * takes that lock with a try-lock for the length of one certificate command, so another client's
 * `show ssl cert` or `set ssl cert` makes ours fail at once without doing anything.
 */
const LOCKED_ATTEMPTS = 5;
const LOCKED_RETRY_DELAY_MS = 50;

/** Default of `RuntimeClientOptions.timeoutMs`. */
export const DEFAULT_RUNTIME_TIMEOUT_MS = 30_000;

/**
 * Client of HAProxy's runtime API (the `stats socket`, `level admin`). One command per
 * connection; every command is prefixed with `set severity-output number;` and its reply is
 * classified (`classifyReply()`), so a method either resolves with what HAProxy confirmed or
 * throws a HaproxyError carrying the command (never the payload) and the reply.
 */
export class RuntimeClient {
  /** `formatRuntimeEndpoint()` of the socket, as errors and logs name it. */
  readonly where: string;
  private readonly timeoutMs: number;
  private readonly bufferSize: number;
  /** The options' logger with `haproxySocket` bound. */
  readonly logger: Logger;

  constructor(readonly options: RuntimeClientOptions) {
    this.where = formatRuntimeEndpoint(options.endpoint);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_RUNTIME_TIMEOUT_MS;
    this.bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.logger = options.logger.child({ haproxySocket: this.where });
  }

  /** The socket this client talks to. */
  get endpoint(): RuntimeEndpoint {
    return this.options.endpoint;
  }

  /**
   * Sends one command line (already escaped; see `commandLine()`), or a payload command when
   * `payload` is given (it MUST end with "\n" and hold no empty line), and resolves with the raw
   * reply, severity prefixes included. Does not classify the reply.
   * @throws HaproxyError when the payload does not fit `bufferSize`, the socket cannot be reached
   * (retryable) or the timeout expires (retryable); `signal.reason` when the signal aborts first.
   */
  async execute(command: string, payload?: string, options: CommandOptions = {}): Promise<string> {
    if (/[\0\r\n]/.test(command)) {
      throw new HaproxyError(`Cannot run a HAProxy command with a line break or NUL: ${JSON.stringify(command)}`, {
        command,
        endpoint: this.where,
      });
    }
    let request = `${SEVERITY_PREFIX}${command}\n`;
    if (payload !== undefined) {
      checkPayloadSize(command, payload, { bufferSize: this.bufferSize, endpoint: this.where });
      request = payloadRequest(command, payload);
    }
    this.logger.debug('HAProxy runtime command', { command });
    return sendRequest(this.options.endpoint, request, { timeoutMs: this.timeoutMs, command, signal: options.signal });
  }

  /** Runs a command and classifies its reply; `expected` lists the outcomes that count as success. */
  private async run(
    command: string,
    expected: readonly ReplyOutcome[],
    options: CommandOptions & { payload?: string } = {},
  ): Promise<ClassifiedReply> {
    return this.classified(command, await this.execute(command, options.payload, options), expected, options);
  }

  /** Classifies a reply to `command`, sending it again while HAProxy's certificate lock is busy. */
  private async classified(
    command: string,
    first: string,
    expected: readonly ReplyOutcome[],
    options: CommandOptions & { payload?: string } = {},
  ): Promise<ClassifiedReply> {
    let reply = first;
    for (let attempt = 1; attempt < LOCKED_ATTEMPTS && isLockedReply(reply); attempt += 1) {
      this.logger.debug('HAProxy certificate lock busy; retrying', { command, attempt });
      await pauseUnlessAborted(LOCKED_RETRY_DELAY_MS, options.signal);
      reply = await this.execute(command, options.payload, options);
    }
    const classified = classifyReply(command, reply, { endpoint: this.where });
    if (!expected.includes(classified.outcome)) throw replyError(command, reply, { endpoint: this.where });
    return classified;
  }

  /**
   * `show ssl cert`: every certificate name and the open transaction, if any.
   * @throws HaproxyError
   */
  async showSslCert(path?: undefined, options?: CommandOptions): Promise<SslCertList>;
  /**
   * `show ssl cert <path>` (or `*<path>` for the open transaction): what HAProxy holds.
   * @throws HaproxyError when HAProxy does not know the certificate
   */
  async showSslCert(path: string, options?: CommandOptions): Promise<SslCertInfo>;
  async showSslCert(path?: string, options: CommandOptions = {}): Promise<SslCertList | SslCertInfo> {
    if (path === undefined) {
      // A HAProxy that holds no certificate at all (e.g. a strict-sni bind on crt-lists that are still
      // empty) answers only the terminating empty line, which is a reply, unlike a closed connection.
      const reply = await this.execute('show ssl cert', undefined, options);
      if (reply !== '' && stripSeverity(reply).trim() === '') return { certificates: [] };
      return parseShowSslCertList((await this.classified('show ssl cert', reply, ['output'], options)).text);
    }
    const command = commandLine('show ssl cert', path);
    const { text } = await this.run(command, ['output'], options);
    const info = parseShowSslCert(text);
    if (info === undefined) throw replyError(command, text, { endpoint: this.where });
    return info;
  }

  /**
   * `new ssl cert <path>`: an empty certificate store, to fill with set + commit.
   * @throws HaproxyError, also when the certificate already exists
   */
  async newSslCert(path: string, options: CommandOptions = {}): Promise<void> {
    await this.run(commandLine('new ssl cert', path), ['certificate-created'], options);
  }

  /**
   * `set ssl cert <path> <<` with the sanitised bundle: opens (or updates) the transaction.
   * Checks that HAProxy names `path` in its reply: 2.6 puts the payload into whatever
   * transaction is open ("Transaction updated for certificate <other>!"), fixed upstream in
   * 984d2cfb6 (3.1-dev11).
   * @throws CertificateError for a bundle that cannot be sanitised; HaproxyError otherwise
   */
  async setSslCert(path: string, pemBundle: string, options: CommandOptions = {}): Promise<void> {
    const payload = sanitiseCertificatePayload(pemBundle);
    const command = commandLine('set ssl cert', path);
    const { certificate, text } = await this.run(command, ['transaction-created', 'transaction-updated'], {
      ...options,
      payload,
    });
    if (certificate !== path) {
      throw replyError(command, text, {
        endpoint: this.where,
        detail: `HAProxy put the payload into the open transaction of "${certificate}" (HAProxy 2.6 does not check the name); abort it before retrying`,
      });
    }
  }

  /**
   * `commit ssl cert <path>`: applies the transaction; requires `Success!`. A failed commit
   * leaves the transaction open: call `abortSslCert()`.
   * @throws HaproxyError
   */
  async commitSslCert(path: string, options: CommandOptions = {}): Promise<void> {
    await this.run(commandLine('commit ssl cert', path), ['success'], options);
  }

  /**
   * `abort ssl cert <path>`: drops the open transaction.
   * @throws HaproxyError, also when no transaction is open
   */
  async abortSslCert(path: string, options: CommandOptions = {}): Promise<void> {
    await this.run(commandLine('abort ssl cert', path), ['transaction-aborted'], options);
  }

  /**
   * `del ssl cert <path>`: removes a certificate no crt-list uses.
   * @throws HaproxyError, also when it is in use
   */
  async delSslCert(path: string, options: CommandOptions = {}): Promise<void> {
    await this.run(commandLine('del ssl cert', path), ['certificate-deleted'], options);
  }

  /**
   * `add ssl crt-list <list> <path>`, or the payload form when the line has options or SNI
   * filters. `list` is a crt-list file or a `crt` directory, as HAProxy loaded it.
   * @throws ConfigError for a line that cannot be sent; HaproxyError otherwise
   */
  async addSslCrtList(list: string, line: CrtListLine, options: CommandOptions = {}): Promise<void> {
    const hasExtras = line.options !== undefined || (line.sni?.length ?? 0) > 0;
    if (hasExtras)
      await this.run(commandLine('add ssl crt-list', list), ['success'], { ...options, payload: crtListLine(line) });
    else await this.run(commandLine('add ssl crt-list', list, line.path), ['success'], options);
  }

  /**
   * `show ssl crt-list`: the crt-list files and `crt` directories.
   * @throws HaproxyError
   */
  async showSslCrtList(list?: undefined, options?: CommandOptions): Promise<string[]>;
  /**
   * `show ssl crt-list -n <list>`: the entries of one list, with line numbers.
   * @throws HaproxyError
   */
  async showSslCrtList(list: string, options?: CommandOptions): Promise<CrtListEntry[]>;
  async showSslCrtList(list?: string, options: CommandOptions = {}): Promise<string[] | CrtListEntry[]> {
    if (list === undefined)
      return parseShowSslCrtLists((await this.run('show ssl crt-list', ['output'], options)).text);
    return parseShowSslCrtList((await this.run(commandLine('show ssl crt-list -n', list), ['output'], options)).text);
  }

  /**
   * `show version`, e.g. `2.6.12-1+deb12u4`.
   * @throws HaproxyError
   */
  async showVersion(options: CommandOptions = {}): Promise<string> {
    const { text } = await this.run('show version', ['output'], options);
    return text.trim();
  }

  /**
   * `show info`: the version and every field.
   * @throws HaproxyError
   */
  async showInfo(options: CommandOptions = {}): Promise<ShowInfo> {
    const { text } = await this.run('show info', ['output'], options);
    const info = parseShowInfo(text);
    if (info === undefined)
      throw replyError('show info', text, {
        endpoint: this.where,
        detail: 'HAProxy replied without a "Version:" line',
      });
    return info;
  }
}
