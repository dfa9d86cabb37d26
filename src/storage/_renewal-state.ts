import { z } from 'zod';
import { StorageError } from '../errors';

/** ISO 8601 strings throughout, so the document is stable JSON. */
const ariSchema = z.object({
  /** RFC 9773 CertID the window belongs to; a new certificate has a new one. */
  certId: z.string(),
  start: z.string(),
  end: z.string(),
  /** The random instant chosen inside the window, kept so checks agree with each other. */
  chosenAt: z.string(),
  /** Do not ask the CA again before this (Retry-After). */
  retryAfter: z.string(),
  explanationUrl: z.string().optional(),
});

const failureSchema = z.object({
  failures: z.number().int().min(1),
  lastFailureAt: z.string(),
  lastError: z.string(),
  nextAttemptAt: z.string(),
  /** The CA's Retry-After for the last failure (ISO 8601), honoured up to a day by the backoff. */
  retryAfter: z.string().optional(),
});

const decisionSchema = z.object({
  at: z.string(),
  due: z.boolean(),
  reason: z.string(),
  detail: z.string(),
  notBefore: z.string().optional(),
});

const hookSchema = z.object({
  label: z.string(),
  ok: z.boolean(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  at: z.string(),
  error: z.string().optional(),
});

/** Set by `acme revoke`: the certificate with this serial was revoked at the CA. */
const revocationSchema = z.object({
  serial: z.string(),
  revokedAt: z.string(),
  /** RFC 5280 CRLReason name (`superseded`…) and code, as sent; absent when none was sent. */
  reason: z.string().optional(),
  reasonCode: z.number().int().optional(),
});

/** The renewal state as every backend validates it (the file backend adds `revision`). */
export const renewalStateSchema = z.object({
  ari: ariSchema.optional(),
  failure: failureSchema.optional(),
  lastSuccessAt: z.string().optional(),
  /** Failed renewal attempts ever (a counter: a success does not reset it, unlike failure.failures). */
  failuresTotal: z.number().int().min(0).optional(),
  /** The last failed renewal attempt (ISO 8601), kept after a success. */
  lastFailureAt: z.string().optional(),
  lastDecision: decisionSchema.optional(),
  hooks: z.array(hookSchema).optional(),
  /** Serial of the renewed certificate whose post-renew hooks have not all succeeded yet: the next pass runs them again. */
  hooksPending: z.string().optional(),
  revocation: revocationSchema.optional(),
});

/** What the renewal engine remembers about one certificate between runs. */
export type RenewalState = z.infer<typeof renewalStateSchema>;

/** A stored value with its revision: 0 when it was never saved, then 1, 2, … one per save. */
export interface Revisioned<T> {
  value: T;
  revision: number;
}

/** Options of RenewalStateStore.save(). */
export interface RevisionedSaveOptions {
  /** The revision load() returned: the save happens only while the stored one is still that one. */
  expectedRevision: number;
  /** Aborts the save before anything is written; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Where renewal state lives. Contract: load() of a name never saved MUST return `{ value: {},
 * revision: 0 }`; save() MUST be atomic and compare-and-set: it writes only when the stored
 * revision equals `expectedRevision`, resolves with the new revision (always greater), and
 * otherwise throws StorageError STORAGE_CONFLICT with nothing written. A second backend (a shared
 * database) implements this in its own folder and passes test/contract/renewalStateContract.ts.
 */
export interface RenewalStateStore {
  load(name: string): Promise<Revisioned<RenewalState>>;
  save(name: string, value: RenewalState, options: RevisionedSaveOptions): Promise<number>;
}

/** The revision of a state saved without a count (a file of an earlier release; a value a test put in a memory store). */
export const UNCOUNTED_REVISION = 1;

/** Checks `expectedRevision` (a whole number ≥ 0). @throws StorageError STORAGE_CONFLICT when it is not */
export function checkExpectedRevision(expected: number, path: string): void {
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new StorageError(
      'STORAGE_CONFLICT',
      `Cannot save "${path}": expected revision ${expected} is not a revision`,
      {
        path,
      },
    );
  }
}

/** The STORAGE_CONFLICT of a save whose expected revision is no longer the stored one. */
export function revisionConflict(path: string, expected: number, current: number): StorageError {
  return new StorageError(
    'STORAGE_CONFLICT',
    `Cannot save "${path}": it is at revision ${current}, not ${expected}; another run changed it, so run the command again`,
    { path, retryable: true },
  );
}
