/**
 * A standalone HAProxy in master-worker mode (`-W -S master.sock`) with an HTTPS frontend on
 * 127.0.0.1 fed by a crt-list: the hot-swap peer for deploy tests and the swap benchmark. Unlike
 * the HAProxy of startPeers(), it can be restarted from its configuration and reloaded through its
 * master socket.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireBinary } from './_binaries';
import { freePort } from './_ports';
import { spawnTracked, stopChild, type TrackedChild } from './_process';
import { generateSelfSignedCert, writeHaproxyBundle } from './_tls';
import { canConnect } from './_wait';

/** A running standalone HAProxy. */
export interface StandaloneHaproxy {
  workDir: string;
  configPath: string;
  /** Worker runtime socket, `level admin`, mode 600. */
  adminSocket: string;
  /** Master CLI socket (`-S`). */
  masterSocket: string;
  /** crt-list file of the HTTPS frontend (initially empty). */
  crtList: string;
  httpsPort: number;
  /** Stops the master and starts it again from the same configuration and files (a restart). */
  restart(): Promise<void>;
  /** Stops it and removes workDir. Idempotent. */
  stop(): Promise<void>;
}

const READY_ATTEMPTS = 100;
const READY_INTERVAL_MS = 50;

function configText(dir: string, httpsPort: number): string {
  return [
    'global',
    `  stats socket ${path.join(dir, 'admin.sock')} mode 600 level admin`,
    '  stats timeout 30s',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '',
    'frontend https',
    `  bind 127.0.0.1:${httpsPort} ssl crt ${path.join(dir, 'default.pem')} crt-list ${path.join(dir, 'crt-list.txt')}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}

async function waitListening(child: TrackedChild, port: number): Promise<void> {
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt += 1) {
    if (await canConnect(port)) return;
    if (child.process.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, READY_INTERVAL_MS));
  }
  throw new Error(`Cannot start HAProxy on 127.0.0.1:${port}: not listening after ${READY_ATTEMPTS * READY_INTERVAL_MS} ms:\n${child.output()}`);
}

/** Starts HAProxy 2.6 in master-worker mode on a free loopback port. */
export async function startStandaloneHaproxy(): Promise<StandaloneHaproxy> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haproxy-acme-standalone-'));
  const httpsPort = await freePort();
  const cert = await generateSelfSignedCert(path.join(workDir, 'default-cert.pem'), path.join(workDir, 'default-key.pem'));
  await writeHaproxyBundle(cert, path.join(workDir, 'default.pem'));
  await fs.writeFile(path.join(workDir, 'crt-list.txt'), '', { mode: 0o600 });
  const configPath = path.join(workDir, 'haproxy.cfg');
  await fs.writeFile(configPath, configText(workDir, httpsPort));
  const masterSocket = path.join(workDir, 'master.sock');
  const haproxy = requireBinary('haproxy');
  let child: TrackedChild | undefined;
  const start = async (): Promise<void> => {
    child = spawnTracked('haproxy-standalone', [haproxy, '-W', '-S', `${masterSocket},mode,600`, '-f', configPath, '-db']);
    await waitListening(child, httpsPort);
  };
  await start();
  let stopped = false;
  return {
    workDir,
    configPath,
    adminSocket: path.join(workDir, 'admin.sock'),
    masterSocket,
    crtList: path.join(workDir, 'crt-list.txt'),
    httpsPort,
    restart: async () => {
      if (child !== undefined) await stopChild(child);
      await start();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child !== undefined) await stopChild(child);
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}
