/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries, a fresh cluster in a temp
 * dir, listening on 127.0.0.1 only (TCP, a free port) and on a unix socket inside that dir. Run as
 * the `postgres` user when we are root, since the server refuses to run as root. The tests stop
 * and start it (an outage), terminate its connections, and read its clock.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './_ports';
import { hasExited, spawnTracked, stopChild, type TrackedChild } from './_process';

const run = promisify(execFile);

/** Where Debian keeps the server binaries: `/usr/lib/postgresql/<major>/bin`. ACME_TEST_PG_BIN overrides. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.ACME_TEST_PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((entry) => /^\d+$/.test(entry) && existsSync(path.join(root, entry, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(root, majors[0], 'bin');
}

/** A running test server. */
export interface TestPostgres {
  /** `postgres://acme@127.0.0.1:<port>/acme`: the database the tests use (trust auth on loopback). */
  url: string;
  port: number;
  /** The directory of its unix socket (the tests' own admin connections). */
  socketDir: string;
  /** Stops the server (fast shutdown: every connection is cut). Idempotent. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data. */
  startServer(): Promise<void>;
  /** Whether the server is running now. */
  running(): boolean;
  /** Runs SQL as the superuser through psql in database `acme`; resolves with its stdout (unaligned, tuples only). */
  psql(sql: string): Promise<string>;
  /** The same in another database of this server. */
  psqlIn(database: string, sql: string): Promise<string>;
  /** A fresh, empty database on this server; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** Options of startPostgres(). */
export interface StartPostgresOptions {
  /** Directory that receives `postgres.log`. Default: none. */
  logDir?: string;
}

function ownerOf(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (line === undefined) throw new Error('Cannot run PostgreSQL as root and there is no "postgres" user to run it as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Initialises and starts a cluster; the caller MUST call stop(). */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined)
    throw new Error(
      'Cannot start PostgreSQL for the tests: no server binaries under /usr/lib/postgresql (install Debian\'s "postgresql" package, or set ACME_TEST_PG_BIN)',
    );
  const owner = ownerOf();
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'acme-pg-'));
  const dataDir = path.join(workDir, 'data');
  const socketDir = path.join(workDir, 'socket');
  await fs.mkdir(dataDir, { mode: 0o700 });
  await fs.mkdir(socketDir, { mode: 0o700 });
  if (owner !== undefined) {
    await fs.chmod(workDir, 0o755);
    for (const dir of [dataDir, socketDir]) await fs.chown(dir, owner.uid, owner.gid);
  }
  const asOwner = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  await run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], {
    ...asOwner,
    env: { ...process.env, LC_ALL: 'C' },
  });
  const port = await freePort();
  let server: TrackedChild | undefined;

  const startServer = async (): Promise<void> => {
    server = spawnTracked(
      'postgres',
      [
        path.join(bin, 'postgres'),
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir}`,
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { ...asOwner, ...(options.logDir === undefined ? {} : { logDir: options.logDir }) },
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (hasExited(server)) throw new Error(`PostgreSQL exited at start:\n${server.output()}`);
      try {
        await run(path.join(bin, 'pg_isready'), ['-h', socketDir, '-p', String(port), '-U', 'postgres', '-t', '1']);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not become ready in 15 s:\n${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  const psqlAt = async (database: string, sql: string): Promise<string> => {
    const { stdout } = await run(
      path.join(bin, 'psql'),
      ['-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
    );
    return stdout;
  };

  const stopServer = async (): Promise<void> => {
    if (server !== undefined) await stopChild(server);
  };

  await startServer();
  await psqlAt('postgres', 'CREATE ROLE acme LOGIN');
  await psqlAt('postgres', 'CREATE DATABASE acme OWNER acme');
  return {
    url: `postgres://acme@127.0.0.1:${port}/acme`,
    port,
    socketDir,
    stopServer,
    startServer,
    running: () => server !== undefined && !hasExited(server),
    psql: (sql) => psqlAt('acme', sql),
    psqlIn: (database, sql) => psqlAt(database, sql),
    createDatabase: async (name) => {
      if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new Error(`Not a test database name: ${JSON.stringify(name)}`);
      await psqlAt('postgres', `CREATE DATABASE ${name} OWNER acme;`);
      return `postgres://acme@127.0.0.1:${port}/${name}`;
    },
    stop: async () => {
      await stopServer();
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}
