/** An in-memory CA for the lifecycle use cases: accounts by key, revocations by serial, key changes. */
import { X509Certificate } from 'node:crypto';
import { AcmeError } from '../../../src/errors';
import type { AcmeAccountClient } from '../../../src/issuance';

export class FakeCa {
  /** Account URL by account key PEM. */
  readonly accounts = new Map<string, string>();
  /** Reason code (or null) by upper-case serial. */
  readonly revoked = new Map<string, number | null>();
  /** Every call, as `<method> <detail>`. */
  readonly calls: string[] = [];
  /** When set, the next key change fails with it; `applyFirst` makes the CA switch keys anyway (a lost response). */
  rolloverFailure: { error: Error; applyFirst: boolean } | undefined;

  client(keyPem: string): AcmeAccountClient {
    return {
      lookupAccount: async () => {
        this.calls.push(`lookupAccount ${this.accounts.get(keyPem) ?? 'unknown'}`);
        return this.accounts.get(keyPem);
      },
      revokeCertificate: async (certPem, options = {}) => {
        const serial = new X509Certificate(certPem).serialNumber.toUpperCase();
        this.calls.push(`revokeCertificate ${serial} ${String(options.reason)}`);
        if (this.revoked.has(serial)) {
          throw new AcmeError(
            'ACME_PROBLEM',
            `Cannot revoke the certificate with serial "${serial}": Certificate already revoked`,
            {
              problemType: 'urn:ietf:params:acme:error:alreadyRevoked',
            },
          );
        }
        this.revoked.set(serial, options.reason ?? null);
      },
      rolloverAccountKey: async (newKeyPem) => {
        this.calls.push('rolloverAccountKey');
        const url = this.accounts.get(keyPem);
        const failure = this.rolloverFailure;
        this.rolloverFailure = undefined;
        if (failure !== undefined && !failure.applyFirst) throw failure.error;
        if (url === undefined)
          throw new AcmeError('ACME_PROBLEM', 'Cannot roll over the ACME account key: unknown account');
        this.accounts.delete(keyPem);
        this.accounts.set(newKeyPem, url);
        if (failure !== undefined) throw failure.error;
      },
    };
  }
}
