import { stat } from 'node:fs/promises';
import { HaproxyError } from '../errors';
import type { Logger } from '../log';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
import { RuntimeClient, type CommandOptions } from './RuntimeClient';
import { addCertificate, ensureCrtListEntry, swapCertificate } from './swapCertificate';
import { removeCertificate, type RemoveCertificateResult } from './removeCertificate';

/** One bundle to deliver and what HAProxy must report afterwards (the deploy use case's shape). */
export interface InstanceDelivery {
  path: string;
  bundlePem: string;
  expectedSerial: string;
  expectedSha1: string;
}

/** Options of HaproxyInstance. */
export interface HaproxyInstanceOptions {
  endpoint: RuntimeEndpoint;
  /** HAProxy's tune.bufsize. Default: 16384. */
  bufferSize?: number;
  /** Limit for one command. Default: 30000. */
  timeoutMs?: number;
  logger: Logger;
}

// `show ssl cert <path>` for a path the configuration does not reference (2.6.12, captured in
// test/fixtures/haproxy/2.6.12/): "Can't display the certificate: Not found or the certificate is a bundle!"
const NOT_FOUND = /Not found or the certificate is a bundle/;

/**
 * One running HAProxy reached through its runtime socket, shaped as the deploy use case's
 * HaproxyEndpoint: what it serves, a verified swap, a verified add.
 */
export class HaproxyInstance {
  readonly label: string;
  private readonly client: RuntimeClient;
  private exposureChecked = false;

  constructor(private readonly options: HaproxyInstanceOptions) {
    this.label = formatRuntimeEndpoint(options.endpoint);
    this.client = new RuntimeClient({
      endpoint: options.endpoint,
      bufferSize: options.bufferSize,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
    });
  }

  /** What HAProxy serves under `path`, or undefined when its configuration does not know the path. @throws HaproxyError */
  async servedCertificate(
    path: string,
    options: CommandOptions = {},
  ): Promise<{ serial: string; sha1Fingerprint: string } | undefined> {
    await this.warnIfExposed();
    try {
      const info = await this.client.showSslCert(path, options);
      return { serial: info.serial, sha1Fingerprint: info.sha1Fingerprint };
    } catch (error) {
      if (error instanceof HaproxyError && NOT_FOUND.test(error.reply ?? '')) return undefined;
      throw error;
    }
  }

  /**
   * `set ssl cert` + `commit ssl cert` (or abort when dryRun), verified; `signal` cuts it off and aborts the transaction.
   * @throws HaproxyError, CertificateError; `signal.reason` when aborted
   */
  async swapCertificate(delivery: InstanceDelivery, options: CommandOptions & { dryRun: boolean }): Promise<void> {
    await this.warnIfExposed();
    await swapCertificate(this.client, delivery, options);
  }

  /** `new ssl cert` + set + commit + `add ssl crt-list`, verified. @throws HaproxyError, CertificateError; `signal.reason` when aborted */
  async addCertificate(delivery: InstanceDelivery, crtListPath: string, options: CommandOptions = {}): Promise<void> {
    await this.warnIfExposed();
    await addCertificate(this.client, { ...delivery, crtList: crtListPath }, options);
  }

  /** `add ssl crt-list` when the runtime list lacks the path (an interrupted add); true when it added it. @throws HaproxyError */
  async ensureListed(delivery: InstanceDelivery, crtListPath: string, options: CommandOptions = {}): Promise<boolean> {
    return ensureCrtListEntry(this.client, { path: delivery.path, crtList: crtListPath }, options);
  }

  /** `del ssl crt-list` from every list, then `del ssl cert`; resolves `deleted: false` when HAProxy does not know `path`. @throws HaproxyError */
  async removeCertificate(path: string): Promise<RemoveCertificateResult> {
    await this.warnIfExposed();
    return removeCertificate(this.client, { path });
  }

  /**
   * An admin-level socket is full control of HAProxy: warn once when a unix socket is group or
   * world accessible. TCP sockets are refused off loopback by config/ already.
   */
  private async warnIfExposed(): Promise<void> {
    if (this.exposureChecked || this.options.endpoint.kind !== 'unix') return;
    this.exposureChecked = true;
    const path = this.options.endpoint.path;
    const mode = await stat(path).then(
      (info) => info.mode & 0o777,
      () => undefined,
    );
    if (mode !== undefined && (mode & 0o077) !== 0) {
      this.options.logger.warn(
        `HAProxy runtime socket "${path}" is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}): anyone who can open it controls HAProxy; set "mode 600" on its stats socket line`,
        { endpoint: this.label },
      );
    }
  }
}
