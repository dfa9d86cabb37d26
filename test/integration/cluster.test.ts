/**
 * Three HAProxy nodes sharing one PostgreSQL store (Debian's server, started here on loopback):
 * each node is an `acme daemon` (with its store follower) and a HAProxy of its own on
 * 127.0.0.11-13, and pebble's DNS decides which node each validation reaches. Proves: one order
 * per name however many nodes ask at once (one of them under a skewed clock); validation answered
 * by a node that does not hold the lease; every node serving each new version within seconds;
 * a holder killed or paused past its lease, the database stopped or its LISTEN connections cut,
 * without a duplicate order, a lost write, or a gap in HTTPS.
 */
import { integrationPeers } from '../peers';
import { startPostgres, type TestPostgres } from '../peers/_postgres';
import { eventually, startCluster, type Cluster, type ClusterNode } from './_support/cluster';

jest.setTimeout(180_000);

/** How many orders the commands logged ("Order created" is logged once per order by the process that made it). */
function ordersIn(...outputs: string[]): number {
  return outputs.reduce((sum, output) => sum + (output.match(/Order created/g) ?? []).length, 0);
}

async function versionsOf(cluster: Cluster, name: string): Promise<string[]> {
  const rows = await cluster.sql(
    `SELECT version FROM acme_certificate_versions WHERE name = '${name}' ORDER BY stored_at`,
  );
  return rows.split('\n').filter((line) => line !== '');
}

async function currentSerial(cluster: Cluster, name: string): Promise<string> {
  return (
    await cluster.sql(
      `SELECT v.meta->>'serial' FROM acme_certificates c JOIN acme_certificate_versions v ON v.name = c.name AND v.version = c.current_version WHERE c.name = '${name}'`,
    )
  ).trim();
}

/** Waits until every node's HAProxy serves `serial` for `name`; resolves with how long it took. */
function allServe(cluster: Cluster, name: string, serial: string, timeoutMs: number): Promise<number> {
  return eventually(`every node serves ${serial} for ${name}`, timeoutMs, async () => {
    const served = await Promise.all(cluster.nodes.map((node) => node.servedSerial(name)));
    return served.every((s) => s === serial);
  });
}

describe('three nodes on one PostgreSQL store, HTTP-01 tokens in the store (--http01-mode shared)', () => {
  let postgres: TestPostgres;
  let cluster: Cluster;
  let nodes: readonly ClusterNode[];

  beforeAll(async () => {
    postgres = await startPostgres();
    cluster = await startCluster({ peers: integrationPeers(), postgres, database: 'cluster_shared', mode: 'shared' });
    nodes = cluster.nodes;
    // The third node's wall clock runs an hour ahead: leases must not care.
    await Promise.all(nodes.map((node, i) => node.startDaemon(i === 2 ? { faketime: '+1h' } : {})));
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  test('three nodes issuing one name at once place one order, and all serve its serial', async () => {
    const name = 'cold.cluster.test';
    await cluster.routeTo(name, nodes[1]!);
    const runs = await Promise.all(
      nodes.map((node, i) => node.run(['issue', '-d', name], i === 2 ? { faketime: '+1h' } : {})),
    );
    for (const run of runs) expect(run).toMatchObject({ code: 0 });
    expect(ordersIn(...runs.map((run) => run.stderr))).toBe(1);
    expect(await versionsOf(cluster, name)).toHaveLength(1);
    await allServe(cluster, name, await currentSerial(cluster, name), 10_000);
  });

  test('the CA validating at a node that does not hold the lease still succeeds', async () => {
    const name = 'elsewhere.cluster.test';
    // node-1 orders; pebble can reach only node-3, whose always-on responder reads the token from the store.
    await cluster.routeTo(name, nodes[2]!);
    const run = await nodes[0]!.run(['issue', '-d', name]);
    expect(run).toMatchObject({ code: 0 });
    await allServe(cluster, name, await currentSerial(cluster, name), 10_000);
  });

  test('a forced renewal on one node reaches every node within seconds', async () => {
    const name = 'cold.cluster.test';
    const before = await currentSerial(cluster, name);
    const run = await nodes[1]!.run(['renew', '--force', '--name', name]);
    expect(run).toMatchObject({ code: 0 });
    const after = await currentSerial(cluster, name);
    expect(after).not.toBe(before);
    const tookMs = await allServe(cluster, name, after, 5_000);
    expect(tookMs).toBeLessThan(5_000);
    // acme list on any node shows the serial every node serves, as each recorded it.
    const listed = await nodes[0]!.run(['list', '--json']);
    const entry = (
      JSON.parse(listed.stdout) as {
        certificates: Array<{ name: string; nodes: Array<{ node: string; endpoints: Array<{ serial: string }> }> }>;
      }
    ).certificates.find((c) => c.name === name);
    await eventually('every node records the new serial', 5_000, async () => {
      const again = await nodes[0]!.run(['list', '--json']);
      const current = (
        JSON.parse(again.stdout) as {
          certificates: Array<{ name: string; nodes: Array<{ node: string; endpoints: Array<{ serial: string }> }> }>;
        }
      ).certificates.find((c) => c.name === name);
      return (
        current?.nodes.map((n) => n.node).join(',') === 'node-1,node-2,node-3' &&
        current.nodes.every((n) => n.endpoints.every((e) => e.serial === after))
      );
    });
    expect(entry?.nodes.map((n) => n.node).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const text = await nodes[2]!.run(['list']);
    expect(text.stdout).toMatch(/node-3 \(this node\)/);
  });

  test('LISTEN connections terminated by the server before an update: every node still converges', async () => {
    const name = 'cold.cluster.test';
    const terminated = await cluster.sql(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'haproxy-acme%' AND state = 'idle'",
    );
    expect(Number(terminated)).toBeGreaterThan(0);
    const run = await nodes[0]!.run(['renew', '--force', '--name', name]);
    expect(run).toMatchObject({ code: 0 });
    await allServe(cluster, name, await currentSerial(cluster, name), 15_000);
    for (const node of nodes) expect(node.daemonRunning()).toBe(true);
  });

  test('kill -9 of the lease holder between order and finalize: another node takes over once the lease expires, one new version', async () => {
    const name = 'cold.cluster.test';
    const versions = await versionsOf(cluster, name);
    const holder = nodes[0]!.start(['renew', '--force', '--name', name]);
    await holder.waitFor('Order created', 30_000);
    holder.process.kill('SIGKILL');
    await holder.exited;
    const taker = await nodes[1]!.run(['renew', '--force', '--name', name]);
    expect(taker).toMatchObject({ code: 0 });
    const after = await versionsOf(cluster, name);
    expect(after).toHaveLength(Math.min(versions.length + 1, 3));
    expect(after.at(-1)).not.toBe(versions.at(-1));
    await allServe(cluster, name, await currentSerial(cluster, name), 10_000);
  });

  test('a holder paused past its lease cannot write: the fence refuses it and it serves the winner', async () => {
    const name = 'elsewhere.cluster.test';
    const holder = nodes[0]!.start(['renew', '--force', '--name', name]);
    await holder.waitFor('Order created', 30_000);
    holder.process.kill('SIGSTOP');
    // The lease is 4 s: past it, another node takes it and stores its own version.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const winner = await nodes[2]!.run(['renew', '--force', '--name', name]);
    expect(winner).toMatchObject({ code: 0 });
    const winnerSerial = await currentSerial(cluster, name);
    const versions = await versionsOf(cluster, name);
    holder.process.kill('SIGCONT');
    const code = await holder.exited;
    expect(code).not.toBe(0);
    expect(holder.output()).toMatch(/LOCK_LOST|Cannot keep the lock/);
    expect(await versionsOf(cluster, name)).toEqual(versions);
    expect(await currentSerial(cluster, name)).toBe(winnerSerial);
    await allServe(cluster, name, winnerSerial, 10_000);
  });

  test('PostgreSQL stopped mid-order, briefly and for long: HTTPS keeps serving, nothing crashes, everything converges', async () => {
    const name = 'cold.cluster.test';
    const servedBefore = await currentSerial(cluster, name);
    for (const outageMs of [1_000, 8_000]) {
      const holder = nodes[1]!.start(['renew', '--force', '--name', name]);
      await holder.waitFor('Order created', 30_000);
      await postgres.stopServer();
      const during = await Promise.all(nodes.map((node) => node.servedSerial(name)));
      expect(during.every((serial) => /^[0-9A-F]+$/.test(serial))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      await postgres.startServer();
      await holder.exited;
      // Whatever the interrupted run managed, the next run finishes, and every node follows.
      const again = await nodes[1]!.run(['renew', '--force', '--name', name]);
      expect(again.code).toBe(0);
    }
    const settled = await currentSerial(cluster, name);
    expect(settled).not.toBe(servedBefore);
    await allServe(cluster, name, settled, 20_000);
    for (const node of nodes) expect(node.daemonRunning()).toBe(true);
  });
});

describe('three nodes on one PostgreSQL store, HTTP-01 answered by HAProxy (--http01-mode stateless)', () => {
  let postgres: TestPostgres;
  let cluster: Cluster;

  beforeAll(async () => {
    postgres = await startPostgres();
    cluster = await startCluster({
      peers: integrationPeers(),
      postgres,
      database: 'cluster_stateless',
      mode: 'stateless',
    });
    await Promise.all(cluster.nodes.map((node) => node.startDaemon()));
  });

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  test('the CA validating at a node that does not hold the lease succeeds with no responder anywhere', async () => {
    const name = 'stateless.cluster.test';
    await cluster.routeTo(name, cluster.nodes[2]!);
    const run = await cluster.nodes[0]!.run(['issue', '-d', name]);
    expect(run).toMatchObject({ code: 0 });
    await allServe(cluster, name, await currentSerial(cluster, name), 10_000);
  });
});
