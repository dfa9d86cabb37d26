import { checkNodeId, type DeployState, type DeployStateSaveOptions, type DeployStateStore } from '../_deploy-state';

/** In-memory DeployStateStore for tests; `states` maps a certificate name to its nodes' states. */
export class MemoryDeployStateStore implements DeployStateStore {
  readonly states = new Map<string, Record<string, DeployState>>();

  async load(name: string, node: string): Promise<DeployState> {
    checkNodeId(node);
    const nodes = this.states.get(name) ?? {};
    return structuredClone(Object.hasOwn(nodes, node) ? nodes[node]! : { endpoints: {} });
  }

  async loadAllNodes(name: string): Promise<Record<string, DeployState>> {
    return structuredClone(this.states.get(name) ?? {});
  }

  async save(name: string, node: string, state: DeployState, options: DeployStateSaveOptions = {}): Promise<void> {
    checkNodeId(node);
    options.signal?.throwIfAborted();
    this.states.set(name, { ...this.states.get(name), [node]: structuredClone(state) });
  }
}
