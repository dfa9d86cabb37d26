/** FileDeployStateStore: `<home>/deploy/<name>.json`, every node's state in one file, and the two forms of that file. */
import { z } from 'zod';
import { checkNodeId, type DeployState, type DeployStateSaveOptions, type DeployStateStore } from '../_deploy-state';
import { isNodeId } from '../../nodeId';
import { JsonStateFiles } from './_state-file';

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
  nodes: z.record(z.string().refine(isNodeId, 'not a node id'), nodeStateSchema),
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
