import { z } from 'zod';
import { JsonStateFiles } from './_state-file';

/** Where one certificate stands on one HAProxy endpoint. */
export interface EndpointDeployState {
  /** `deployed`: the endpoint served `serial` when last checked; `pending`: it must still get it. */
  status: 'deployed' | 'pending';
  /** The serial this state is about (upper-case hex). */
  serial: string;
  /** How it got there: runtime swap, runtime add, reload fallback. */
  method?: 'swap' | 'add' | 'reload';
  /** ISO 8601 time of the last attempt. */
  at: string;
  /** The last error's message, when status is pending. Never key material. */
  lastError?: string;
}

/** Deployment state of one certificate, by endpoint label (e.g. `unix@/run/haproxy/admin.sock`). */
export interface DeployState {
  endpoints: Record<string, EndpointDeployState>;
}

/**
 * Where deployment state lives; separate from CertificateStore because it changes on every
 * deploy while certificate versions do not. Contract: save() MUST be atomic; load() of a name
 * never saved MUST return an empty state.
 */
export interface DeployStateStore {
  load(name: string): Promise<DeployState>;
  save(name: string, state: DeployState): Promise<void>;
}

const endpointSchema = z.object({
  status: z.enum(['deployed', 'pending']),
  serial: z.string(),
  method: z.enum(['swap', 'add', 'reload']).optional(),
  at: z.string(),
  lastError: z.string().optional(),
});
const stateSchema = z.object({ endpoints: z.record(z.string(), endpointSchema) });

/** `<home>/deploy/<name>.json`, mode 0600, replaced atomically. */
export class FileDeployStateStore implements DeployStateStore {
  private readonly files: JsonStateFiles<DeployState>;

  constructor(options: { home: string }) {
    this.files = new JsonStateFiles({
      home: options.home,
      folder: 'deploy',
      schema: stateSchema,
      empty: () => ({ endpoints: {} }),
    });
  }

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a deploy state */
  load(name: string): Promise<DeployState> {
    return this.files.load(name);
  }

  /** @throws StorageError STORAGE_IO */
  save(name: string, state: DeployState): Promise<void> {
    return this.files.save(name, state);
  }
}

/** In-memory DeployStateStore for tests. */
export class MemoryDeployStateStore implements DeployStateStore {
  readonly states = new Map<string, DeployState>();

  async load(name: string): Promise<DeployState> {
    return structuredClone(this.states.get(name) ?? { endpoints: {} });
  }

  async save(name: string, state: DeployState): Promise<void> {
    this.states.set(name, structuredClone(state));
  }
}
