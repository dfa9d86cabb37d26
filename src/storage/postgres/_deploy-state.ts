/** PostgresDeployStateStore: one row of acme_deploy_state per certificate and node. */
import { z } from 'zod';
import { StorageError } from '../../errors';
import { isNodeId } from '../../nodeId';
import { checkNodeId, type DeployState, type DeployStateSaveOptions, type DeployStateStore } from '../_deploy-state';
import { sanitiseName } from '../_names';
import type { PgDatabase } from './_db';

/** Options of PostgresDeployStateStore. */
export interface PostgresDeployStateStoreOptions {
  db: PgDatabase;
}

const endpointSchema = z.object({
  status: z.enum(['deployed', 'pending']),
  serial: z.string(),
  method: z.enum(['swap', 'add', 'reload']).optional(),
  at: z.string(),
  lastError: z.string().optional(),
});
const deployStateSchema = z.object({ endpoints: z.record(z.string(), endpointSchema) });

/**
 * DeployStateStore on PostgreSQL: each node writes only its own row (an upsert), so nodes never
 * overwrite each other's state and need no lock between them.
 */
export class PostgresDeployStateStore implements DeployStateStore {
  private readonly db: PgDatabase;

  constructor(options: PostgresDeployStateStoreOptions) {
    this.db = options.db;
  }

  /**
   * The state of `name` on `node`; `{ endpoints: {} }` when none was saved.
   * @throws ConfigError for an unsafe name or a bad node id; StorageError STORAGE_CORRUPT, STORAGE_IO
   */
  async load(name: string, node: string): Promise<DeployState> {
    const safe = sanitiseName(name);
    checkNodeId(node);
    const rows = await this.db.query<{ state: string }>(
      'SELECT state::text AS state FROM acme_deploy_state WHERE name = $1 AND node = $2',
      [safe, node],
    );
    return rows[0] === undefined ? { endpoints: {} } : this.parse(safe, node, rows[0].state);
  }

  /**
   * Every node's state of `name`, by node id; `{}` when none was saved.
   * @throws ConfigError for an unsafe name; StorageError STORAGE_CORRUPT, STORAGE_IO
   */
  async loadAllNodes(name: string): Promise<Record<string, DeployState>> {
    const safe = sanitiseName(name);
    const rows = await this.db.query<{ node: string; state: string }>(
      'SELECT node, state::text AS state FROM acme_deploy_state WHERE name = $1 ORDER BY node',
      [safe],
    );
    return Object.fromEntries(rows.map((row) => [row.node, this.parse(safe, row.node, row.state)]));
  }

  /**
   * Replaces the state of `name` on `node` only.
   * @throws ConfigError for an unsafe name or a bad node id; StorageError STORAGE_IO; the signal's reason when aborted
   */
  async save(name: string, node: string, state: DeployState, options: DeployStateSaveOptions = {}): Promise<void> {
    const safe = sanitiseName(name);
    checkNodeId(node);
    options.signal?.throwIfAborted();
    await this.db.query(
      `INSERT INTO acme_deploy_state (name, node, state, updated_at) VALUES ($1, $2, $3::jsonb, clock_timestamp())
       ON CONFLICT (name, node) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [safe, node, JSON.stringify({ endpoints: state.endpoints })],
      options.signal === undefined ? {} : { signal: options.signal },
    );
  }

  /** @throws StorageError STORAGE_CORRUPT when `text` is not a deploy state */
  private parse(name: string, node: string, text: string): DeployState {
    let protoKey = false;
    const data: unknown = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') protoKey = true;
      return value;
    });
    // A "__proto__" endpoint label would become the prototype of what the schema builds.
    const parsed = protoKey || !isNodeId(node) ? undefined : deployStateSchema.safeParse(data);
    if (parsed?.success === true) return parsed.data;
    const issue = parsed?.error.issues[0];
    const detail = protoKey
      ? 'it holds a "__proto__" key'
      : issue === undefined
        ? 'its node id is not a node id'
        : `${issue.message}${issue.path.length === 0 ? '' : ` at "${issue.path.join('.')}"`}`;
    throw new StorageError(
      'STORAGE_CORRUPT',
      `Cannot read the deploy state of "${name}" on node ${JSON.stringify(node.slice(0, 80))} in the PostgreSQL store ${this.db.label}: ${detail}; delete its row from acme_deploy_state and deploy again`,
      { path: `${this.db.label}/deploy/${name}/${node}` },
    );
  }
}
