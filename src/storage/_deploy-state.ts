import { z } from 'zod';
import { ConfigError } from '../errors';
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
 * checkNodeId() accepts; any other throws ConfigError. A second backend implements this in a new
 * file and passes test/contract/deployStateContract.ts.
 */
export interface DeployStateStore {
  load(name: string, node: string): Promise<DeployState>;
  loadAllNodes(name: string): Promise<Record<string, DeployState>>;
  save(name: string, node: string, state: DeployState, options?: DeployStateSaveOptions): Promise<void>;
}

/** A node id: what `--node` accepts once lower-cased (a host name, `haproxy-1`). */
const NODE_ID = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** @throws ConfigError when `node` is not a node id (1 to 64 of `a-z 0-9 . _ -`, letter or digit at both ends) */
export function checkNodeId(node: string): string {
  if (typeof node !== 'string' || !NODE_ID.test(node)) {
    const shown = JSON.stringify(String(node).slice(0, 80));
    throw new ConfigError(
      `Cannot use node id ${shown}: expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting and ending with a letter or digit`,
      { source: 'node id' },
    );
  }
  return node;
}

const endpointSchema = z.object({
  status: z.enum(['deployed', 'pending']),
  serial: z.string(),
  method: z.enum(['swap', 'add', 'reload']).optional(),
  at: z.string(),
  lastError: z.string().optional(),
});
const nodeStateSchema = z.object({ endpoints: z.record(z.string(), endpointSchema) });
/** The file since layout 2: `{ "nodes": { "<node>": { "endpoints": { … } } } }`. */
export const deployFileSchema = z.object({
  nodes: z.record(z.string().regex(NODE_ID, 'not a node id'), nodeStateSchema),
});
/** The file before layout 2: one node's `{ "endpoints": { … } }`, the node that wrote it. */
export const legacyDeployFileSchema = nodeStateSchema;
const anyDeployFileSchema = z.union([deployFileSchema, legacyDeployFileSchema]);

export type DeployFile = z.infer<typeof deployFileSchema>;

/**
 * The file as written: every node's state under `nodes`, and the writing node's own again as the
 * top-level `endpoints`, the form the release before layout 2 reads. A snap revert to that
 * release therefore still finds this node's deploy state (it ignores `nodes`, and what it writes
 * back reads here as this node's state).
 */
export function deployFileDocument(
  nodes: ReadonlyMap<string, DeployState>,
  localNode: string,
): DeployFile & { endpoints: DeployState['endpoints'] } {
  const sorted = [...nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { endpoints: { ...nodes.get(localNode)?.endpoints }, nodes: Object.fromEntries(sorted) };
}

/** Reads either form as the current one; a file of the previous layout is `localNode`'s state. */
export function toNodeKeyed(document: z.infer<typeof anyDeployFileSchema>, localNode: string): DeployFile {
  return 'nodes' in document ? document : { nodes: { [localNode]: document } };
}

function nodeStates(file: DeployFile | undefined): Map<string, DeployState> {
  return new Map(Object.entries(file?.nodes ?? {}));
}

/**
 * `<home>/deploy/<name>.json`, mode 0600, replaced atomically. `node` is this host's node id: a
 * file written before deploy state was kept per node (`{ "endpoints": … }`) reads as its state.
 */
export class FileDeployStateStore implements DeployStateStore {
  private readonly files: JsonStateFiles<z.infer<typeof anyDeployFileSchema>>;
  private readonly localNode: string;

  constructor(options: { home: string; node: string }) {
    this.localNode = checkNodeId(options.node);
    this.files = new JsonStateFiles({ home: options.home, folder: 'deploy', schema: anyDeployFileSchema });
  }

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a deploy state */
  async load(name: string, node: string): Promise<DeployState> {
    checkNodeId(node);
    // hasOwn: a node may be called `constructor`, which a plain lookup finds on Object.prototype.
    const nodes = await this.loadAllNodes(name);
    return Object.hasOwn(nodes, node) ? nodes[node]! : { endpoints: {} };
  }

  /** @throws StorageError STORAGE_CORRUPT when the file exists but is not a deploy state */
  async loadAllNodes(name: string): Promise<Record<string, DeployState>> {
    const stored = await this.files.load(name);
    return Object.fromEntries(nodeStates(stored === undefined ? undefined : toNodeKeyed(stored, this.localNode)));
  }

  /** Replaces `node`'s state, keeping every other node's. @throws StorageError STORAGE_CORRUPT, STORAGE_IO */
  async save(name: string, node: string, state: DeployState, options: DeployStateSaveOptions = {}): Promise<void> {
    checkNodeId(node);
    await this.files.update(
      name,
      (current) => {
        const nodes = nodeStates(current === undefined ? undefined : toNodeKeyed(current, this.localNode));
        nodes.set(node, { endpoints: { ...state.endpoints } });
        return { document: deployFileDocument(nodes, this.localNode), result: undefined };
      },
      { signal: options.signal },
    );
  }
}
