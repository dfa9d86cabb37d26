import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { requireBinary } from './_binaries';
import { challtestsrvArgs, haproxyConfig, pebbleConfig, type PeerLayout } from './_configs';
import { freePorts, freeTcpAndUdpPort } from './_ports';
import { spawnTracked, stopChild, type TrackedChild } from './_process';
import { generateCert } from './_tls';
import type { Peers, StartPeersOptions } from './_types';
import { detectPeerVersions, goFlagsOf, type PeerVersions } from './_versions';
import { canConnect, httpsGet, waitForReady } from './_wait';

const execFileAsync = promisify(execFile);

/** Whole-set attempts when a freed port was taken by someone else before a child bound it. */
const START_ATTEMPTS = 3;

/** GETs pebble's issuance root and intermediate (regenerated at every start): `[rootPem, intermediatePem]`. */
export async function fetchIssuanceRoots(managementUrl: string, caBundlePath: string): Promise<string[]> {
  const ca = await fs.readFile(caBundlePath, 'utf8');
  const pems: string[] = [];
  for (const resource of ['roots/0', 'intermediates/0']) {
    const url = `${managementUrl}/${resource}`;
    const { status, body } = await httpsGet(url, ca);
    if (status !== 200) throw new Error(`Cannot fetch "${url}" from pebble: HTTP ${status} "${body.trim()}"`);
    pems.push(body);
  }
  return pems;
}

async function allocateLayout(workDir: string): Promise<PeerLayout> {
  const dnsPort = await freeTcpAndUdpPort();
  const [dnsManagementPort, apiPort, managementPort, tlsAlpnPort, haproxyHttpPort, haproxyHttpsPort, responderPort] =
    (await freePorts(7, [dnsPort])) as [number, number, number, number, number, number, number];
  return {
    workDir,
    dnsPort,
    dnsManagementPort,
    apiPort,
    managementPort,
    tlsAlpnPort,
    haproxyHttpPort,
    haproxyHttpsPort,
    responderPort,
    pebbleCertPath: path.join(workDir, 'pebble.crt'),
    pebbleKeyPath: path.join(workDir, 'pebble.key'),
    haproxyDefaultBundle: path.join(workDir, 'haproxy-certs', 'default.pem'),
    haproxyCrtList: path.join(workDir, 'crt-list.txt'),
    haproxyAdminSocket: path.join(workDir, 'admin.sock'),
  };
}

/** Writes the certificates and config files; resolves with the HAProxy config path. */
async function writeFiles(layout: PeerLayout): Promise<string> {
  const { workDir } = layout;
  await fs.mkdir(path.join(workDir, 'haproxy-certs'), { mode: 0o700 });
  // Both answer on 127.0.0.1 as `localhost`; the pebble certificate is also the CA bundle of its API.
  const loopback = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
  const [, haproxyCert] = await Promise.all([
    generateCert(workDir, 'pebble', loopback),
    generateCert(workDir, 'haproxy-default', loopback),
  ]);
  await fs.writeFile(layout.haproxyDefaultBundle, haproxyCert.bundle, { mode: 0o600 });
  const haproxyCfg = path.join(workDir, 'haproxy.cfg');
  await Promise.all([
    fs.writeFile(layout.haproxyCrtList, ''),
    fs.writeFile(path.join(workDir, 'pebble-config.json'), pebbleConfig(layout)),
    fs.writeFile(haproxyCfg, haproxyConfig(layout)),
  ]);
  try {
    await execFileAsync(requireBinary('haproxy'), ['-c', '-f', haproxyCfg], { timeout: 10_000 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`Cannot use the generated "${haproxyCfg}": haproxy -c rejected it:\n${stdout}${stderr}`, {
      cause: err,
    });
  }
  return haproxyCfg;
}

function spawnPeers(layout: PeerLayout, haproxyCfg: string, options: StartPeersOptions): TrackedChild[] {
  const logDir = options.logDir;
  // Resolve all three first, so that a missing one cannot leave the others running untracked.
  const [challtestsrvBin, haproxyBin, pebbleBin] = ['pebble-challtestsrv', 'haproxy', 'pebble'].map(requireBinary) as [
    string,
    string,
    string,
  ];
  const pebbleEnv = {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
    PEBBLE_AUTHZREUSE: String(options.authzReusePercent ?? 0),
  };
  const pebbleArgs = [
    '-strict',
    '-config',
    path.join(layout.workDir, 'pebble-config.json'),
    '-dnsserver',
    `127.0.0.1:${layout.dnsPort}`,
  ];
  return [
    spawnTracked('pebble-challtestsrv', [challtestsrvBin, ...challtestsrvArgs(layout, goFlagsOf(challtestsrvBin))], {
      logDir,
    }),
    // -db: foreground, no daemon; never through systemd.
    spawnTracked('haproxy', [haproxyBin, '-f', haproxyCfg, '-db'], { logDir }),
    spawnTracked('pebble', [pebbleBin, ...pebbleArgs], { logDir, env: pebbleEnv }),
  ];
}

async function waitForPeers(layout: PeerLayout, children: TrackedChild[]): Promise<void> {
  const [challtestsrv, haproxy, pebble] = children as [TrackedChild, TrackedChild, TrackedChild];
  const ca = await fs.readFile(layout.pebbleCertPath, 'utf8');
  const answers200 = (url: string) => async () => (await httpsGet(url, ca)).status === 200;
  const dirUrl = `https://127.0.0.1:${layout.apiPort}/dir`;
  await Promise.all([
    waitForReady(challtestsrv, {
      what: `its management port ${layout.dnsManagementPort}`,
      ready: () => canConnect(layout.dnsManagementPort),
    }),
    waitForReady(haproxy, {
      what: `its HTTP port ${layout.haproxyHttpPort}`,
      ready: () => canConnect(layout.haproxyHttpPort),
    }),
    waitForReady(pebble, { what: dirUrl, ready: answers200(dirUrl) }),
    waitForReady(pebble, {
      what: `its management port ${layout.managementPort}`,
      ready: answers200(`https://127.0.0.1:${layout.managementPort}/roots/0`),
    }),
  ]);
}

/** What the running pebble offers (from its directory) and which binaries run. */
async function versionsOf(layout: PeerLayout): Promise<PeerVersions> {
  const ca = await fs.readFile(layout.pebbleCertPath, 'utf8');
  const { body } = await httpsGet(`https://127.0.0.1:${layout.apiPort}/dir`, ca);
  const directory = JSON.parse(body) as { renewalInfo?: string; meta?: { profiles?: object } };
  return detectPeerVersions({
    ari: directory.renewalInfo !== undefined,
    profiles: directory.meta?.profiles !== undefined,
  });
}

function toPeers(layout: PeerLayout, children: TrackedChild[], versions: PeerVersions): Peers {
  let stopping: Promise<void> | undefined;
  const managementUrl = `https://127.0.0.1:${layout.managementPort}`;
  return {
    directoryUrl: `https://127.0.0.1:${layout.apiPort}/dir`,
    caBundlePath: layout.pebbleCertPath,
    managementUrl,
    dnsServer: `127.0.0.1:${layout.dnsPort}`,
    dnsManagementUrl: `http://127.0.0.1:${layout.dnsManagementPort}`,
    haproxyHttpUrl: `http://127.0.0.1:${layout.haproxyHttpPort}`,
    haproxyHttpsPort: layout.haproxyHttpsPort,
    haproxyAdminSocket: layout.haproxyAdminSocket,
    haproxyCrtList: layout.haproxyCrtList,
    responderPort: layout.responderPort,
    workDir: layout.workDir,
    pids: Object.fromEntries(children.map((child) => [child.name, child.process.pid ?? -1])),
    versions,
    fetchIssuanceRoots: () => fetchIssuanceRoots(managementUrl, layout.pebbleCertPath),
    stop: () => (stopping ??= stopAll(layout.workDir, children)),
  };
}

async function stopAll(workDir: string, children: TrackedChild[]): Promise<void> {
  await Promise.all(children.map((child) => stopChild(child)));
  await fs.rm(workDir, { recursive: true, force: true });
}

async function startOnce(options: StartPeersOptions): Promise<Peers> {
  if (options.logDir !== undefined) await fs.mkdir(options.logDir, { recursive: true });
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'haproxy-acme-peers-'));
  let children: TrackedChild[] = [];
  try {
    const layout = await allocateLayout(workDir);
    const haproxyCfg = await writeFiles(layout);
    children = spawnPeers(layout, haproxyCfg, options);
    await waitForPeers(layout, children);
    return toPeers(layout, children, await versionsOf(layout));
  } catch (err) {
    await stopAll(workDir, children);
    throw err;
  }
}

/**
 * Starts pebble-challtestsrv (DNS), pebble and HAProxy on free loopback ports. Can be called
 * several times: each set has its own ports and temp dir, e.g. a second pebble with
 * `nonceRejectPercent: 50` next to the shared one. The caller MUST call `stop()`.
 */
export async function startPeers(options: StartPeersOptions = {}): Promise<Peers> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (err) {
      // A port freed by freePort() can be taken by another process before the child binds it.
      const portRace = err instanceof Error && /address already in use/i.test(err.message);
      if (!portRace || attempt >= START_ATTEMPTS) throw err;
    }
  }
}
