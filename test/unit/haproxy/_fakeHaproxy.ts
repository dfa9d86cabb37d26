/**
 * An in-memory imitation of HAProxy 2.6.12's certificate commands, with the replies captured in
 * test/fixtures/haproxy/2.6.12 (severity mode) and its one-global-transaction bug: `set ssl cert B`
 * while A's transaction is open updates A's transaction. Behind a real unix socket (_fakeSocket).
 */
import { X509Certificate } from 'node:crypto';

/** The serial and SHA-1 of a bundle's first certificate, as `show ssl cert` prints them. */
export function identityOf(pem: string): { serial: string; sha1: string } {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? '';
  const cert = new X509Certificate(block);
  return { serial: cert.serialNumber.toUpperCase(), sha1: cert.fingerprint.replace(/:/g, '') };
}

/** State and knobs of the imitation. */
export class FakeHaproxy {
  /** Committed certificates by path (`undefined` = empty store from `new ssl cert`). */
  readonly certs = new Map<string, { serial: string; sha1: string } | undefined>();
  readonly crtLists = new Map<string, string[]>([['/l', []]]);
  transaction: { path: string; pem: string } | undefined;
  /** When set, `commit` replies this instead of committing. */
  commitReply: string | undefined;
  /** When set, `abort` replies this. */
  abortReply: string | undefined;
  /** When set, a commit stores this identity instead of the transaction's (someone else's change). */
  commitOverride: { serial: string; sha1: string } | undefined;

  /** Answers one raw request like HAProxy's non-interactive CLI with `set severity-output number`. */
  respond(request: string): string {
    const [first = '', ...rest] = request.split('\n');
    const line = first.replace(/^set severity-output number; /, '');
    const payload = rest.join('\n');
    const [verb, , noun, arg = ''] = line.replace(/ <<$/, '').split(' ');
    const key = `${verb} ${noun}`;
    if (key === 'show cert') return arg === '' ? this.showList() : this.show(arg);
    if (key === 'set cert') return this.set(arg, payload);
    if (key === 'commit cert') return this.commit(arg);
    if (key === 'abort cert') return this.abort(arg);
    if (key === 'new cert') return this.create(arg);
    if (key === 'add crt-list')
      return this.add(arg, line.endsWith('<<') ? (payload.split(' ')[0] ?? '') : (line.split(' ')[4] ?? ''));
    if (key === 'show crt-list')
      return `\n# ${line.split(' ')[4]}\n${(this.crtLists.get(line.split(' ')[4] ?? '') ?? []).map((p, i) => `${p}:${i + 1}\n`).join('')}\n`;
    return '\n[6]: Unknown command, but maybe one of the following ones is a better match:\n\n';
  }

  private showList(): string {
    const transaction = this.transaction ? `# transaction\n*${this.transaction.path}\n` : '';
    return `\n${transaction}# filename\n${[...this.certs.keys()].map((p) => `${p}\n`).join('')}\n`;
  }

  private show(path: string): string {
    const cert = this.certs.get(path);
    if (cert === undefined)
      return "\n[3]: Can't display the certificate: Not found or the certificate is a bundle!\n\n";
    return `\nFilename: ${path}\nStatus: Used\nSerial: ${cert.serial}\nSHA1 FingerPrint: ${cert.sha1}\n\n`;
  }

  private set(path: string, payload: string): string {
    if (!this.certs.has(path))
      return `\n[3]: Can't replace a certificate which is not referenced by the configuration!\nCan't update ${path}!\n\n`;
    if (this.transaction) {
      // HAProxy 2.6.12: the name is not checked (ssl_ckch.c), the open transaction is updated.
      this.transaction = { path: this.transaction.path, pem: payload };
      return `\n[5]: Transaction updated for certificate ${this.transaction.path}!\n\n`;
    }
    this.transaction = { path, pem: payload };
    return `\n[5]: Transaction created for certificate ${path}!\n\n`;
  }

  private commit(path: string): string {
    if (this.commitReply !== undefined) return this.commitReply;
    if (!this.transaction) return `\n[3]: No ongoing transaction! !\nCan't commit ${path}!\n\n`;
    this.certs.set(this.transaction.path, this.commitOverride ?? identityOf(this.transaction.pem));
    this.transaction = undefined;
    return `\nCommitting ${path}.\nSuccess!\n\n`;
  }

  private abort(path: string): string {
    if (this.abortReply !== undefined) return this.abortReply;
    if (!this.transaction) return '\n[3]: No ongoing transaction!\n\n';
    this.transaction = undefined;
    return `\n[5]: Transaction aborted for certificate '${path}'!\n\n`;
  }

  private create(path: string): string {
    if (this.certs.has(path)) return `\n[3]: Certificate '${path}' already exists!\n\n`;
    this.certs.set(path, undefined);
    return `\n[5]: New empty certificate store '${path}'!\n\n`;
  }

  private add(list: string, path: string): string {
    this.crtLists.get(list)?.push(path);
    return `\nInserting certificate '${path}' in crt-list '${list}'.\nSuccess!\n\n`;
  }
}
