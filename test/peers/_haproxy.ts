/**
 * A standalone HAProxy in master-worker mode (`-W -S master.sock`) with an HTTPS frontend on
 * 127.0.0.1 fed by a crt-list: the hot-swap peer for deploy tests, the runtime-client tests, the
 * transcript capture and the swap benchmark. Unlike the HAProxy of startPeers(), it can be
 * restarted from its configuration and reloaded through its master socket.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireBinary } from './_binaries';
import { freePort } from './_ports';
import { spawnTracked, stopChild, type TrackedChild } from './_process';
import { generateCert, type TestCert } from './_tls';
import { canConnect, waitForReady } from './_wait';

/** Options of startStandaloneHaproxy(). */
export interface StandaloneHaproxyOptions {
  /** Bundles written to `<certDir>/<name>.pem` (mode 600) and listed in this order in the crt-list. Default: none (an empty crt-list). */
  certificates?: Record<string, string>;
  /** Extra lines for the `global` section, e.g. a second `stats socket`. Default: none. */
  extraGlobal?: string[];
  /** Use this directory, which MUST NOT exist yet (it is created mode 700), so that paths are stable. Default: a new temp dir. */
  workDir?: string;
}

/** A running standalone HAProxy. */
export interface StandaloneHaproxy {
  workDir: string;
  configPath: string;
  /** Worker runtime socket, `level admin`, mode 600. */
  adminSocket: string;
  /** Master CLI socket (`-S`). */
  masterSocket: string;
  /** crt-list file of the HTTPS frontend (initially the `certificates` option, one path a line). */
  crtList: string;
  /** Directory of the listed bundles, `<workDir>/certs`. */
  certDir: string;
  /** The bundle served when no SNI matches. */
  defaultBundle: string;
  /** The certificate of `defaultBundle`. */
  defaultCert: TestCert;
  httpsPort: number;
  /** `<certDir>/<name>.pem` */
  bundlePath(name: string): string;
  /** Stops the master and starts it again from the same configuration and files (a restart). */
  restart(): Promise<void>;
  /** Stops it and removes workDir. Idempotent. */
  stop(): Promise<void>;
}

type ConfigPaths = Pick<StandaloneHaproxy, 'adminSocket' | 'defaultBundle' | 'crtList' | 'httpsPort'>;

/** The config: admin socket, and one HTTPS bind with the default bundle and the crt-list. */
function configText(h: ConfigPaths, extraGlobal: string[]): string {
  return [
    'global',
    `  stats socket ${h.adminSocket} mode 600 level admin`,
    '  stats timeout 30s',
    ...extraGlobal.map((line) => `  ${line}`),
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    'frontend https',
    `  bind 127.0.0.1:${h.httpsPort} ssl crt ${h.defaultBundle} crt-list ${h.crtList}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}

async function makeWorkDir(workDir: string | undefined): Promise<string> {
  if (workDir === undefined) return fs.mkdtemp(path.join(os.tmpdir(), 'haproxy-acme-standalone-'));
  await fs.mkdir(workDir, { mode: 0o700 });
  return workDir;
}

/** Writes the certificates, the crt-list and the configuration into a fresh workDir. */
async function writeFiles(options: StandaloneHaproxyOptions): Promise<Omit<StandaloneHaproxy, 'restart' | 'stop'>> {
  const workDir = await makeWorkDir(options.workDir);
  const certDir = path.join(workDir, 'certs');
  await fs.mkdir(certDir, { mode: 0o700 });
  const h = {
    workDir,
    certDir,
    configPath: path.join(workDir, 'haproxy.cfg'),
    adminSocket: path.join(workDir, 'admin.sock'),
    masterSocket: path.join(workDir, 'master.sock'),
    crtList: path.join(workDir, 'crt-list.txt'),
    defaultBundle: path.join(workDir, 'default.pem'),
    defaultCert: await generateCert(workDir, 'default'),
    httpsPort: await freePort(),
    bundlePath: (name: string) => path.join(certDir, `${name}.pem`),
  };
  await fs.writeFile(h.defaultBundle, h.defaultCert.bundle, { mode: 0o600 });
  const listed: string[] = [];
  for (const [name, bundle] of Object.entries(options.certificates ?? {})) {
    await fs.writeFile(h.bundlePath(name), bundle, { mode: 0o600 });
    listed.push(`${h.bundlePath(name)}\n`);
  }
  await fs.writeFile(h.crtList, listed.join(''), { mode: 0o600 });
  await fs.writeFile(h.configPath, configText(h, options.extraGlobal ?? []));
  return h;
}

/** Starts the run's HAProxy (`ACME_TEST_HAPROXY`, else PATH) in master-worker mode on a free loopback port; waits for its HTTPS port. */
export async function startStandaloneHaproxy(options: StandaloneHaproxyOptions = {}): Promise<StandaloneHaproxy> {
  const h = await writeFiles(options);
  const haproxy = requireBinary('haproxy');
  let child: TrackedChild | undefined;
  let stopped = false;
  const start = async (): Promise<void> => {
    child = spawnTracked('haproxy-standalone', [
      haproxy,
      '-W',
      '-S',
      `${h.masterSocket},mode,600`,
      '-f',
      h.configPath,
      '-db',
    ]);
    await waitForReady(child, { what: `its HTTPS port ${h.httpsPort}`, ready: () => canConnect(h.httpsPort) });
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child !== undefined) await stopChild(child);
    await fs.rm(h.workDir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ...h,
    restart: async () => {
      if (child !== undefined) await stopChild(child);
      await start();
    },
    stop,
  };
}
