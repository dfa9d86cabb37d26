import { setTimeout as sleep } from 'node:timers/promises';
import { HaproxyError } from '../errors';
import { commandLine } from './_payload';
import { classifyReply, isLockedReply } from './_reply';
import type { RuntimeClient } from './RuntimeClient';
import { sslTransactionMutex } from './swapCertificate';

/** What `removeCertificate()` takes out of HAProxy. */
export interface RemoveCertificateInput {
  /** The certificate's name in HAProxy: its path exactly as loaded (crt-base applied). */
  path: string;
}

/** What `removeCertificate()` did. */
export interface RemoveCertificateResult {
  path: string;
  /** `formatRuntimeEndpoint()` of the socket. */
  endpoint: string;
  /** The crt-lists (files or `crt` directories) that had an entry for `path`, each once. */
  removedFrom: string[];
  /** False when HAProxy did not know the certificate: nothing to do, already removed. */
  deleted: boolean;
  /** A transaction left open for `path` (a crashed run) was aborted first. */
  abortedStaleTransaction: boolean;
}

// Same as RuntimeClient's: HAProxy takes its certificate lock with a try-lock, so a busy lock
// means nothing was done and the command can be sent again.
const LOCKED_ATTEMPTS = 5;
const LOCKED_RETRY_DELAY_MS = 50;

// `del ssl cert` of a certificate a bind uses directly (2.6.12, captured in
// test/fixtures/haproxy/2.6.12/del-ssl-cert-in-use.severity.txt):
// "[3]: Can't remove the certificate: certificate '/srv/a.pem' in use, can't be deleted!"
const IN_USE = /in use, can't be deleted/;

/**
 * `del ssl crt-list <list> <entry>`, which RuntimeClient does not offer. Reply (2.6.12):
 * `[5]: Entry '/srv/d.pem' deleted in crtlist '/srv/crt-list.txt'!`.
 * @throws HaproxyError for any other reply
 */
async function delSslCrtList(client: RuntimeClient, list: string, entry: string): Promise<void> {
  const command = commandLine('del ssl crt-list', list, entry);
  let reply = await client.execute(command);
  for (let attempt = 1; attempt < LOCKED_ATTEMPTS && isLockedReply(reply); attempt += 1) {
    await sleep(LOCKED_RETRY_DELAY_MS);
    reply = await client.execute(command);
  }
  const { text } = classifyReply(command, reply, { endpoint: client.where });
  if (!/^Entry '.*' deleted in crtlist '.*'!$/m.test(text)) {
    throw new HaproxyError(`Cannot delete "${entry}" from SSL crt-list "${list}": HAProxy replied "${text.trim()}"`, {
      command,
      reply,
      endpoint: client.where,
    });
  }
}

/**
 * Deletes every entry of `path` in `list`. With duplicates HAProxy wants `<path>:<line>`
 * ("found the certificate … in several entries, please specify a line number"), so each
 * entry goes by its line number, the highest first.
 */
async function removeFromList(client: RuntimeClient, list: string, path: string): Promise<boolean> {
  const entries = (await client.showSslCrtList(list)).filter((entry) => entry.path === path);
  if (entries.length === 0) return false;
  if (entries.length === 1) {
    await delSslCrtList(client, list, path);
    return true;
  }
  const lines = entries.map((entry) => entry.line ?? 0).sort((a, b) => b - a);
  for (const line of lines) await delSslCrtList(client, list, `${path}:${line}`);
  return true;
}

/**
 * Takes a certificate out of a running HAProxy (HAProxy management guide: "del ssl crt-list",
 * "del ssl cert"): aborts a transaction left open for it, deletes its entry from every crt-list
 * and `crt` directory HAProxy reports, then deletes the certificate. Idempotent: a path HAProxy
 * does not know resolves with `deleted: false`. HAProxy never writes its files: remove the line
 * from the crt-list file on disk AFTER this, so that a reload agrees. Serialised by
 * `sslTransactionMutex`.
 * @throws HaproxyError when a command fails, naming the fix when a bind line uses the file directly (`crt <file>`), which HAProxy cannot undo at runtime
 */
export async function removeCertificate(
  client: RuntimeClient,
  input: RemoveCertificateInput,
): Promise<RemoveCertificateResult> {
  const { path } = input;
  const logger = client.logger;
  return sslTransactionMutex.runExclusive(async () => {
    const { certificates, transaction } = await client.showSslCert();
    const base = { path, endpoint: client.where, removedFrom: [] as string[], abortedStaleTransaction: false };
    if (!certificates.includes(path) && transaction !== path) {
      logger.info('HAProxy does not know the certificate; nothing to remove', { path });
      return { ...base, deleted: false };
    }
    if (transaction === path) {
      logger.warn('Aborting an SSL transaction left open for this certificate', { path });
      await client.abortSslCert(path);
      base.abortedStaleTransaction = true;
    }
    for (const list of await client.showSslCrtList()) {
      if (await removeFromList(client, list, path)) base.removedFrom.push(list);
    }
    try {
      await client.delSslCert(path);
    } catch (error) {
      if (!(error instanceof HaproxyError) || !IN_USE.test(error.reply ?? '')) throw error;
      throw new HaproxyError(
        `Cannot delete SSL cert "${path}": a bind line of HAProxy's configuration uses it directly ("crt ${path}"), which HAProxy cannot undo at runtime; ` +
          'remove it from the configuration and reload HAProxy, or list it in a crt-list instead',
        { command: commandLine('del ssl cert', path), reply: error.reply, endpoint: client.where, cause: error },
      );
    }
    logger.info('SSL cert removed from HAProxy', { path, crtLists: base.removedFrom });
    return { ...base, deleted: true };
  });
}
