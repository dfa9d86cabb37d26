import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { StorageError } from '../errors';
import { ensureDir, writeFileAtomic } from './_atomic';
import { sanitiseName } from './paths';

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
  constructor(private readonly options: { home: string }) {}

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a deploy state */
  async load(name: string): Promise<DeployState> {
    const path = this.pathOf(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { endpoints: {} };
      throw new StorageError('STORAGE_IO', `Cannot read "${path}": ${(error as Error).message}`, { path, cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StorageError('STORAGE_CORRUPT', `Cannot read "${path}": it is not valid JSON`, { path, cause: error });
    }
    const result = stateSchema.safeParse(parsed);
    if (!result.success) {
      throw new StorageError('STORAGE_CORRUPT', `Cannot read "${path}": ${result.error.issues[0]?.message ?? 'unexpected content'}`, { path });
    }
    return result.data;
  }

  /** @throws StorageError STORAGE_IO */
  async save(name: string, state: DeployState): Promise<void> {
    await ensureDir(join(this.options.home, 'deploy'));
    await writeFileAtomic(this.pathOf(name), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  }

  private pathOf(name: string): string {
    return join(this.options.home, 'deploy', `${sanitiseName(name)}.json`);
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
