import { z } from 'zod';
import { JsonStateFiles } from './_state-file';

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

const renewalStateSchema = z.object({
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

/**
 * Where renewal state lives. Contract: save() MUST be atomic; load() of a name never saved MUST
 * return `{}`; a second backend (a shared database) implements this in a new file.
 */
export interface RenewalStateStore {
  load(name: string): Promise<RenewalState>;
  save(name: string, state: RenewalState): Promise<void>;
}

/** `<home>/renewal/<name>.json`, mode 0600, replaced atomically. */
export class FileRenewalStateStore implements RenewalStateStore {
  private readonly files: JsonStateFiles<RenewalState>;

  constructor(options: { home: string }) {
    this.files = new JsonStateFiles({
      home: options.home,
      folder: 'renewal',
      schema: renewalStateSchema,
      empty: () => ({}),
    });
  }

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a renewal state */
  load(name: string): Promise<RenewalState> {
    return this.files.load(name);
  }

  /** @throws StorageError STORAGE_IO */
  save(name: string, state: RenewalState): Promise<void> {
    return this.files.save(name, state);
  }
}

/** In-memory RenewalStateStore for tests. */
export class MemoryRenewalStateStore implements RenewalStateStore {
  readonly states = new Map<string, RenewalState>();

  async load(name: string): Promise<RenewalState> {
    return structuredClone(this.states.get(name) ?? {});
  }

  async save(name: string, state: RenewalState): Promise<void> {
    this.states.set(name, structuredClone(state));
  }
}
