/**
 * `acme doctor --storage postgres://…` against a real PostgreSQL on loopback: the shared store rows
 * (connection and schema, a private LISTEN/NOTIFY round trip, leases, clocks) pass on a healthy
 * server, name a live lease's holder, and fail clearly once the server is stopped. The password in
 * the URL never shows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../peers/_postgres';
import { runAcme } from './_support/runAcme';

jest.setTimeout(120_000);

interface Check {
  id: string;
  title: string;
  status: string;
  detail: string;
  fix: string | null;
}

const PASSWORD = 'doctor-url-password-never-shown';

describe('acme doctor on a shared PostgreSQL store', () => {
  let postgres: TestPostgres;
  let home: string;
  let url: string;
  let label: string;

  async function doctor(): Promise<{ code: number | null; checks: Check[]; output: string }> {
    // The test server trusts loopback, so the password is accepted and ignored: it is here to be hidden.
    const run = await runAcme(['doctor', '--json', '--home', home, '--storage', url, '--node', 'edge-doctor'], {
      timeoutMs: 60_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    return { code: run.code, checks: (JSON.parse(run.stdout) as { checks: Check[] }).checks, output };
  }

  const shared = (checks: Check[]): Check[] => checks.filter((check) => check.id.startsWith('shared-store'));

  beforeAll(async () => {
    postgres = await startPostgres();
    url = postgres.url.replace('postgres://acme@', `postgres://acme:${PASSWORD}@`);
    label = `postgres://127.0.0.1:${postgres.port}/acme`;
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-doctor-pg-'));
  });
  afterAll(async () => {
    await postgres?.stop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  test('acme doctor on an empty database: connected, no tables yet, notifications flow, clocks compared', async () => {
    const { checks, output } = await doctor();
    expect(shared(checks).map((c) => [c.id, c.status])).toEqual([
      ['shared-store', 'ok'],
      ['shared-store-notifications', 'ok'],
      ['shared-store-leases', 'skip'],
      ['shared-store-clock', 'ok'],
    ]);
    expect(checks[0]).toMatchObject({
      title: `shared store ${label}`,
      detail: expect.stringMatching(/^connected \(PostgreSQL \d+[.\d]*.*\); no tables yet/),
    });
    expect(checks[1]!.detail).toMatch(/^a notification on a private channel came back .* in \d+ ms$/);
    expect(checks[3]!.detail).toMatch(
      /^this node's clock is .* the database's \(± .*\); leases use the database's clock only$/,
    );
    expect(output).not.toContain(PASSWORD);
  });

  test("acme doctor once the tables exist: this release's schema, a live lease and its holder, exit 0", async () => {
    // The first run's other checks read the store, which created the tables.
    await postgres.psql(
      `INSERT INTO acme_leases (name, holder, fence, expires_at, acquired_at, refreshed_at, info)
       VALUES ('certificate/site', 'edge-2', nextval('acme_fence'), clock_timestamp() + interval '10 minutes',
               clock_timestamp(), clock_timestamp(), '{"node":"edge-2","pid":4242,"hostname":"web2","command":"acme renew"}')`,
    );
    const { code, checks, output } = await doctor();
    expect(shared(checks)).toEqual([
      expect.objectContaining({
        id: 'shared-store',
        status: 'ok',
        detail: expect.stringMatching(/; schema version 1 \(this release's\)$/),
      }),
      expect.objectContaining({ id: 'shared-store-notifications', status: 'ok' }),
      expect.objectContaining({
        id: 'shared-store-leases',
        status: 'ok',
        detail: expect.stringMatching(
          /^1 live: certificate\/site held by edge-2 \(host web2, pid 4242, acme renew\), (9|10) min left$/,
        ),
      }),
      expect.objectContaining({ id: 'shared-store-clock', status: 'ok' }),
    ]);
    expect({ code, failed: checks.filter((c) => c.status === 'fail') }).toEqual({ code: 0, failed: [] });
    // No certificate-change notification was sent: nothing was written to the channel followers act on.
    expect(await postgres.psql('SELECT count(*) FROM acme_certificates')).toBe('0\n');
    expect(output).not.toContain(PASSWORD);
  });

  test('acme doctor with the server stopped: the shared store fails naming it (without the password), exit 1', async () => {
    await postgres.stopServer();
    try {
      const started = Date.now();
      const { code, checks, output } = await doctor();
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(code).toBe(1);
      expect(shared(checks)).toEqual([
        {
          id: 'shared-store',
          title: `shared store ${label}`,
          status: 'fail',
          detail: expect.stringMatching(new RegExp(`^cannot connect: .*${label.replace(/[.]/g, '[.]')}.*ECONNREFUSED`)),
          fix: `Check that PostgreSQL runs at ${label} and accepts this node: pg_hba.conf, the password in PGPASSWORD or a password file (~/.pgpass, PGPASSFILE), and sslmode (see docs/cluster.md)`,
        },
        expect.objectContaining({ id: 'shared-store-notifications', status: 'skip' }),
        expect.objectContaining({ id: 'shared-store-leases', status: 'skip' }),
        expect.objectContaining({ id: 'shared-store-clock', status: 'skip' }),
      ]);
      expect(output).not.toContain(PASSWORD);
    } finally {
      await postgres.startServer();
    }
  });
});
