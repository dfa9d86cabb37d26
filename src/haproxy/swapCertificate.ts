import { HaproxyError, messageOf } from '../errors';
import type { Logger } from '../log';
import { socatAddress } from './_endpoint';
import { commandLine } from './_payload';
import type { CommandOptions, RuntimeClient } from './RuntimeClient';

/** Runs async functions one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier `runExclusive()` call has settled; resolves or rejects like `fn`. */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Serialises every SSL transaction of this process, on every endpoint. HAProxy 2.6 keeps one
 * global transaction and does not check its name, so two interleaved swaps cross:
 * 1. A: `set ssl cert a.pem` → "Transaction created for certificate a.pem!"
 * 2. B: `set ssl cert b.pem` → "Transaction updated for certificate a.pem!" (b's PEM now in a's transaction)
 * 3. A: `commit ssl cert a.pem` → a.pem serves B's certificate.
 * Fixed upstream by 984d2cfb6 (3.1-dev11); Debian 12's 2.6.12 still has it. Other processes
 * (the CLI and the daemon) MUST also hold the storage lock file.
 */
export const sslTransactionMutex = new Mutex();

/** What `swapCertificate()` puts in place. */
export interface SwapCertificateInput {
  /** The certificate's name in HAProxy: its path exactly as loaded (crt-base applied). */
  path: string;
  /** Leaf first, then the chain, and the key (any order); sanitised before sending. */
  bundlePem: string;
  /** SHA-1 of the leaf (hex, colons and case ignored), compared after the commit. */
  expectedSha1: string;
  /** Serial of the leaf (hex, colons, case and leading zero bytes ignored). */
  expectedSerial: string;
}

/** Options of `swapCertificate()` and `addCertificate()`. */
export interface SwapCertificateOptions extends CommandOptions {
  /** Stop after `set ssl cert` and abort: proves the path, changes nothing. Default: false. */
  dryRun?: boolean;
}

/**
 * How long the `abort ssl cert` after a cancelled step may take: the caller is stopping, but a
 * transaction left open would block every later swap (HAProxy has one).
 */
export const ABORT_AFTER_CANCEL_TIMEOUT_MS = 2000;

/** What was done. */
export interface SwapResult {
  path: string;
  /** `formatRuntimeEndpoint()` of the socket. */
  endpoint: string;
  /** True when the transaction was aborted on purpose (nothing changed). */
  dryRun: boolean;
  /** What HAProxy holds for `path` afterwards; undefined after a dry run. */
  serial: string | undefined;
  sha1Fingerprint: string | undefined;
  /** A transaction for our own path was left open (by a crashed run) and was aborted first. */
  abortedStaleTransaction: boolean;
}

/** Upper-case hex without colons and without leading zero bytes. */
function normaliseHex(hex: string): string {
  return hex
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/^(00)+(?=.)/, '');
}

/**
 * Checks that no transaction is open for another certificate; aborts one left open for `path`.
 * @throws HaproxyError (retryable) when another certificate's transaction is open
 */
async function clearTransaction(
  client: RuntimeClient,
  path: string,
  options: { logger: Logger; signal: AbortSignal | undefined },
): Promise<boolean> {
  const { logger, signal } = options;
  const { transaction } = await client.showSslCert(undefined, { signal });
  if (transaction === undefined) return false;
  if (transaction === path) {
    logger.warn('Aborting an SSL transaction left open for this certificate', { path });
    await client.abortSslCert(path, { signal });
    return true;
  }
  const abortCommand = `echo "${commandLine('abort ssl cert', transaction)}" | socat stdio ${socatAddress(client.endpoint)}`;
  throw new HaproxyError(
    `Cannot set SSL cert "${path}": another client has a transaction open for "${transaction}" (HAProxy has only one); ` +
      `retry later, or abort it by hand with: ${abortCommand}`,
    { command: 'show ssl cert', endpoint: client.where, retryable: true },
  );
}

/**
 * Best-effort `abort ssl cert` after a failure; never throws (the original error wins). After a
 * cancelled step it runs all the same, limited to ABORT_AFTER_CANCEL_TIMEOUT_MS.
 */
async function abortQuietly(client: RuntimeClient, path: string, logger: Logger): Promise<void> {
  try {
    await client.abortSslCert(path, { signal: AbortSignal.timeout(ABORT_AFTER_CANCEL_TIMEOUT_MS) });
    logger.info('Aborted the SSL transaction after a failure', { path });
  } catch (error) {
    const none = error instanceof HaproxyError && /No ongoing transaction/.test(error.reply ?? '');
    if (none) logger.debug('No SSL transaction to abort after the failure', { path });
    else logger.warn('Cannot abort the SSL transaction after a failure', { path, error: messageOf(error) });
  }
}

/**
 * Reads what HAProxy holds for `path` after a commit and compares it with what we sent.
 * @throws HaproxyError when the serial or fingerprint differ (the commit happened: HAProxy serves something else)
 */
async function verifyCommitted(
  client: RuntimeClient,
  input: SwapCertificateInput,
  options: CommandOptions,
): Promise<{ serial: string; sha1Fingerprint: string }> {
  const info = await client.showSslCert(input.path, options);
  const served = { serial: normaliseHex(info.serial), sha1Fingerprint: normaliseHex(info.sha1Fingerprint) };
  const expected = { serial: normaliseHex(input.expectedSerial), sha1Fingerprint: normaliseHex(input.expectedSha1) };
  if (served.serial !== expected.serial || served.sha1Fingerprint !== expected.sha1Fingerprint) {
    throw new HaproxyError(
      `Cannot verify SSL cert "${input.path}" after the commit: HAProxy holds serial "${served.serial}" (SHA1 "${served.sha1Fingerprint}") ` +
        `but the bundle has serial "${expected.serial}" (SHA1 "${expected.sha1Fingerprint}"); another client may have changed it, deploy again`,
      { command: commandLine('show ssl cert', input.path), endpoint: client.where, retryable: true },
    );
  }
  return served;
}

/** set → (dry run: abort) → commit → verify, aborting on any failure after set. Caller holds the mutex. */
async function setCommitVerify(
  client: RuntimeClient,
  input: SwapCertificateInput,
  options: SwapCertificateOptions,
  logger: Logger,
) {
  const { signal } = options;
  try {
    await client.setSslCert(input.path, input.bundlePem, { signal });
    if (options.dryRun === true) {
      await client.abortSslCert(input.path, { signal });
      return { dryRun: true, serial: undefined, sha1Fingerprint: undefined };
    }
    await client.commitSslCert(input.path, { signal });
  } catch (error) {
    await abortQuietly(client, input.path, logger);
    throw error;
  }
  return { dryRun: false, ...(await verifyCommitted(client, input, { signal })) };
}

/**
 * Hot-swaps one certificate HAProxy already knows: check no other transaction is open →
 * `set ssl cert` → `commit ssl cert` → `show ssl cert` and compare serial and SHA-1 (HAProxy
 * management guide: "set ssl cert", "commit ssl cert"). Aborts on any failure after `set`.
 * Serialised process-wide by `sslTransactionMutex`. When `signal` aborts, the command in flight
 * is cut off, an open transaction is aborted, and it rejects with `signal.reason`.
 * @throws CertificateError for a bundle that cannot be sanitised; HaproxyError for anything
 * HAProxy refused, an unreachable socket, or a commit that does not hold what we sent
 */
export async function swapCertificate(
  client: RuntimeClient,
  input: SwapCertificateInput,
  options: SwapCertificateOptions = {},
): Promise<SwapResult> {
  const logger = client.logger;
  return sslTransactionMutex.runExclusive(async () => {
    const abortedStaleTransaction = await clearTransaction(client, input.path, { logger, signal: options.signal });
    const outcome = await setCommitVerify(client, input, options, logger);
    logger.info(outcome.dryRun ? 'Dry run: SSL cert set and aborted' : 'SSL cert committed and verified', {
      path: input.path,
      serial: outcome.serial,
    });
    return { path: input.path, endpoint: client.where, abortedStaleTransaction, ...outcome };
  });
}

/** What `addCertificate()` adds. */
export interface AddCertificateInput extends SwapCertificateInput {
  /** The crt-list file or `crt` directory of the bind, exactly as HAProxy loaded it. */
  crtList: string;
  /** SNI filters of the crt-list line. Default: none (HAProxy uses the certificate's names). */
  sni?: string[];
  /** SSL options of the crt-list line (between `[` and `]`). Default: none. */
  crtListOptions?: string;
}

/**
 * Adds a certificate HAProxy has never seen: `new ssl cert` → set → commit → verify →
 * `add ssl crt-list`. Idempotent for a retry: an existing store is refilled, and the crt-list
 * line is only added when the list does not have it yet. Write the file and the on-disk crt-list
 * BEFORE calling this, so that a reload agrees. Serialised by `sslTransactionMutex`.
 * @throws CertificateError for a bundle that cannot be sanitised; HaproxyError otherwise
 */
/** `add ssl crt-list` unless the runtime list already names the path; true when it added it. */
async function listUnlessListed(
  client: RuntimeClient,
  input: Pick<AddCertificateInput, 'path' | 'crtList' | 'crtListOptions' | 'sni'>,
  options: CommandOptions = {},
): Promise<boolean> {
  const entries = await client.showSslCrtList(input.crtList, options);
  if (entries.some((entry) => entry.path === input.path)) return false;
  const line = {
    path: input.path,
    ...(input.crtListOptions === undefined ? {} : { options: input.crtListOptions }),
    ...(input.sni === undefined ? {} : { sni: input.sni }),
  };
  await client.addSslCrtList(input.crtList, line, options);
  return true;
}

/**
 * Lists a certificate HAProxy already holds in a runtime crt-list when it is missing there (an
 * interrupted add); under the same mutex as the transactions, so it never interleaves with one.
 */
export function ensureCrtListEntry(
  client: RuntimeClient,
  input: Pick<AddCertificateInput, 'path' | 'crtList' | 'crtListOptions' | 'sni'>,
  options: CommandOptions = {},
): Promise<boolean> {
  return sslTransactionMutex.runExclusive(() => listUnlessListed(client, input, options));
}

export async function addCertificate(
  client: RuntimeClient,
  input: AddCertificateInput,
  options: SwapCertificateOptions = {},
): Promise<SwapResult> {
  const logger = client.logger;
  const { signal } = options;
  return sslTransactionMutex.runExclusive(async () => {
    const abortedStaleTransaction = await clearTransaction(client, input.path, { logger, signal });
    const { certificates } = await client.showSslCert(undefined, { signal });
    const created = !certificates.includes(input.path);
    if (created) await client.newSslCert(input.path, { signal });
    const outcome = await setCommitVerify(client, input, options, logger);
    // A dry run leaves nothing behind: drop the empty store we created (it is in no crt-list yet).
    if (outcome.dryRun && created) await client.delSslCert(input.path, { signal });
    if (!outcome.dryRun) await listUnlessListed(client, input, { signal });
    logger.info(
      outcome.dryRun
        ? 'Dry run: new SSL cert set and aborted'
        : 'New SSL cert committed, verified and added to the crt-list',
      { path: input.path, crtList: input.crtList },
    );
    return { path: input.path, endpoint: client.where, abortedStaleTransaction, ...outcome };
  });
}
