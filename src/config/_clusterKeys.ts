import { DEFAULT_LEASE_MS, DEFAULT_SYNC_INTERVAL_MS } from './_defaults';
import { row, type ConfigKeyInfo } from './_keyInfo';

/** The rows of CONFIG_KEYS for several HAProxy nodes sharing one store (docs/cluster.md). */
export const CLUSTER_KEYS: readonly ConfigKeyInfo[] = Object.freeze([
  row({
    field: 'storage',
    group: 'cluster',
    flag: '--storage',
    valueName: 'URL',
    env: 'ACME_STORAGE',
    snap: 'acme-storage',
    defaultValue: 'file',
    defaultText: '`file` (everything under the home directory)',
    help: 'where certificates, accounts, state and locks live: `file`, or `postgres://USER@HOST:PORT/DATABASE` shared by several HAProxy nodes (give the password in `PGPASSWORD` or `~/.pgpass` rather than in the URL, which `ps` shows)',
    docsNote: 'see [cluster.md](cluster.md)',
  }),
  row({
    field: 'syncInterval',
    group: 'cluster',
    flag: '--sync-interval',
    valueName: 'DURATION',
    env: 'ACME_SYNC_INTERVAL',
    snap: 'acme-sync-interval',
    defaultValue: String(DEFAULT_SYNC_INTERVAL_MS),
    defaultText: '`10m`',
    help: 'with a shared store, how often `acme daemon` compares every certificate with what this node serves, besides following change notifications (1s to 24h)',
  }),
  row({
    field: 'lease',
    group: 'cluster',
    flag: '--lease',
    valueName: 'DURATION',
    env: 'ACME_LEASE',
    snap: 'acme-lease',
    defaultValue: String(DEFAULT_LEASE_MS),
    defaultText: '`30s`',
    help: "with a shared store, the lease of a certificate lock, timed by the database's clock and renewed every third of it; a holder that dies blocks others this long (3s to 10m)",
  }),
]);
