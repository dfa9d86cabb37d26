import type { Clock } from '../clock';
import { AcmeError, CertificateError, ConfigError } from '../errors';
import type { Logger } from '../log';
import type { CertificateStore, RenewalStateStore } from '../storage';
import type { AcmeAccountClient } from './accountOps';
import { withCertificateLock, type CertificateLockDeps } from './_certificateLock';

/** An RFC 5280 §5.3.1 CRLReason as the CLI names it and the CA receives it. */
export interface RevocationReason {
  /** e.g. `superseded`. */
  name: string;
  /** e.g. 4. */
  code: number;
}

/** Adapters revokeCertificate drives. */
export interface RevokeDeps extends CertificateLockDeps {
  /** The CA `acmeFor` talks to (`--directory`); it MUST be the one that issued the certificate. */
  directoryUrl: string;
  store: CertificateStore;
  /** Where the revocation is recorded (`revocation` of the certificate's renewal state). */
  renewalState: RenewalStateStore;
  acmeFor: (accountKeyPem: string) => AcmeAccountClient;
  clock: Clock;
  logger: Logger;
}

/** What was revoked. */
export interface RevokeResult {
  name: string;
  serial: string;
  directoryUrl: string;
  accountUrl: string;
  /** Undefined when no reason was sent (the CA records unspecified). */
  reason: RevocationReason | undefined;
  revokedAt: Date;
}

/**
 * Revokes the current certificate of `name` at the CA that issued it, signed with the stored
 * account of that CA (RFC 8555 §7.6), then records `{ serial, revokedAt, reason, reasonCode }` as
 * `revocation` in the certificate's renewal state (`<home>/renewal/<name>.json`), which
 * survives renewals until the certificate is removed. The certificate stays stored and deployed:
 * replace it with `acme renew --name N --force`, or take it out with `acme remove --name N`.
 * @throws CertificateError for an unknown name or no stored account; ConfigError when --directory is not the issuing CA; AcmeError (e.g. alreadyRevoked) from the CA
 */
export async function revokeCertificate(
  name: string,
  deps: RevokeDeps,
  options: { reason?: RevocationReason; signal?: AbortSignal } = {},
): Promise<RevokeResult> {
  return withCertificateLock(name, deps, options.signal, (signal) => revokeHolding(name, deps, { ...options, signal }));
}

async function revokeHolding(
  name: string,
  deps: RevokeDeps,
  options: { reason?: RevocationReason; signal: AbortSignal },
): Promise<RevokeResult> {
  const { signal } = options;
  const stored = await deps.store.loadCertificate(name);
  if (stored === undefined) {
    throw new CertificateError(
      `Cannot revoke "${name}": no such certificate in the store; run "acme list" to see the names`,
    );
  }
  const { directoryUrl, serial } = stored.meta;
  if (directoryUrl !== deps.directoryUrl) {
    throw new ConfigError(
      `Cannot revoke "${name}": it was issued through "${directoryUrl}" but --directory is "${deps.directoryUrl}"; pass --directory ${directoryUrl}`,
      {
        source: '--directory',
      },
    );
  }
  const account = await deps.store.loadAccount(directoryUrl);
  if (account === undefined) {
    throw new CertificateError(
      `Cannot revoke "${name}": no ACME account for "${directoryUrl}" is stored in --home, and only the issuing account (or the certificate key) may revoke`,
    );
  }
  const log = deps.logger.child({ certificate: stored.meta.name, serial });
  const acme = deps.acmeFor(account.keyPem);
  const accountUrl = await acme.lookupAccount({ signal });
  if (accountUrl === undefined) {
    throw new AcmeError(
      'ACME_PROBLEM',
      `Cannot revoke "${name}": the CA at "${directoryUrl}" does not know the stored account key; if a key rollover was interrupted, run "acme account rollover" to finish it`,
    );
  }
  await acme.revokeCertificate(stored.certPem, {
    ...(options.reason === undefined ? {} : { reason: options.reason.code }),
    signal,
  });
  const revokedAt = deps.clock.now();
  log.info('Certificate revoked', { reason: options.reason?.name, accountUrl });
  const { value: state, revision } = await deps.renewalState.load(stored.meta.name);
  state.revocation = {
    serial,
    revokedAt: revokedAt.toISOString(),
    ...(options.reason === undefined ? {} : { reason: options.reason.name, reasonCode: options.reason.code }),
  };
  // Recorded even when the command is being interrupted: the CA has revoked it, and renewal must know.
  await deps.renewalState.save(stored.meta.name, state, { expectedRevision: revision });
  return { name: stored.meta.name, serial, directoryUrl, accountUrl, reason: options.reason, revokedAt };
}
