import { ConfigError } from '../errors';
import { isNodeId } from '../nodeId';

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

/** Deployment state of one certificate on one node, by endpoint label (e.g. `unix@/run/haproxy/admin.sock`). */
export interface DeployState {
  endpoints: Record<string, EndpointDeployState>;
}

/** Options of DeployStateStore.save(). */
export interface DeployStateSaveOptions {
  /** Aborts the save before anything is written; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Where deployment state lives, per node (one HAProxy host; several may share one store) and per
 * endpoint; separate from CertificateStore because it changes on every deploy while certificate
 * versions do not. Contract: load() of a name or node never saved MUST return `{ endpoints: {} }`;
 * save() MUST be atomic and replace only that node's state, leaving every other node's as it was;
 * loadAllNodes() returns every node's state, `{}` when none was saved. A node id is what
 * checkNodeId() accepts; any other throws ConfigError. A second backend implements this in its own
 * folder (as file/ and memory/ do) and passes test/contract/deployStateContract.ts.
 */
export interface DeployStateStore {
  load(name: string, node: string): Promise<DeployState>;
  loadAllNodes(name: string): Promise<Record<string, DeployState>>;
  save(name: string, node: string, state: DeployState, options?: DeployStateSaveOptions): Promise<void>;
}

/** @throws ConfigError when `node` is not a node id as `--node` leaves it (isNodeId: the rule, lower-cased) */
export function checkNodeId(node: string): string {
  if (!isNodeId(node)) {
    const shown = JSON.stringify(String(node).slice(0, 80));
    throw new ConfigError(
      `Cannot use node id ${shown}: expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting and ending with a letter or digit`,
      { source: 'node id' },
    );
  }
  return node;
}
