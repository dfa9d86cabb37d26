/**
 * The README demo: a full local issuance against real peers on loopback.
 *
 * 1. starts pebble (Let's Encrypt's test CA) with pebble-challtestsrv as its DNS, and a HAProxy
 *    whose HTTP frontend routes /.well-known/acme-challenge/ to haproxy-acme's responder and whose
 *    HTTPS frontend is fed by a crt-list and has an admin runtime socket;
 * 2. runs the real CLI, `acme issue`, for two demo names with preflight through HAProxy: the new
 *    certificate is added to the running HAProxy, and a TLS handshake shows it served;
 * 3. issues again (a renewal): hot-swapped with no reload, and the served serial changes;
 * 4. prints `acme list` (with what HAProxy serves) and the files written;
 * 5. stops everything it started and removes its temporary directory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findMissingPeerBinaries, servedSerial, startPeers, type Peers } from '../test/peers';

const CLI = resolve(__dirname, '..', 'dist', 'main.js');
const DEMO_DOMAINS = ['demo.example.test', 'www.demo.example.test'];

function step(text: string): void {
  process.stdout.write(`\n==> ${text}\n`);
}

/** Runs the built CLI with inherited stdio; resolves to its exit code. */
function acme(args: string[]): Promise<number> {
  process.stdout.write(`$ acme ${args.join(' ')}\n`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'inherit' });
    child.once('error', fail);
    child.once('exit', (code) => done(code ?? 1));
  });
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    const info = await stat(path);
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    if (entry.isDirectory() || entry.isSymbolicLink()) {
      lines.push(
        `${mode}  ${prefix}${entry.name}/${entry.isSymbolicLink() ? '  (symlink to the current version)' : ''}`,
      );
      if (!entry.name.startsWith('.')) lines.push(...(await listFiles(path, `${prefix}${entry.name}/`)));
    } else {
      lines.push(`${mode}  ${prefix}${entry.name}`);
    }
  }
  return lines;
}

async function run(peers: Peers, home: string): Promise<number> {
  const common = ['--home', home, '--directory', peers.directoryUrl, '--ca-bundle', peers.caBundlePath];
  const haproxy = ['--haproxy-socket', peers.haproxyAdminSocket, '--haproxy-crt-list', peers.haproxyCrtList];
  const issue = [
    'issue',
    ...DEMO_DOMAINS.flatMap((domain) => ['--domain', domain]),
    '--email',
    'demo@example.test',
    '--http-port',
    String(peers.responderPort),
    '--preflight',
    peers.haproxyHttpUrl,
    ...haproxy,
    ...common,
  ];
  const [name] = DEMO_DOMAINS as [string];
  step(`Issuing a certificate for ${DEMO_DOMAINS.join(' and ')} from pebble, validated through HAProxy`);
  const issued = await acme(issue);
  if (issued !== 0) return issued;
  const first = await servedSerial(peers.haproxyHttpsPort, name);
  process.stdout.write(`TLS handshake with HAProxy (SNI ${name}): serial ${first}\n`);

  step('Renewing: the new certificate is hot-swapped into the running HAProxy, no reload');
  const renewed = await acme(issue);
  if (renewed !== 0) return renewed;
  const second = await servedSerial(peers.haproxyHttpsPort, name);
  process.stdout.write(
    `TLS handshake with HAProxy (SNI ${name}): serial ${second} (${second === first ? 'UNCHANGED: swap failed' : 'changed'})\n`,
  );
  if (second === first) return 1;

  step('Listing the stored certificates and what HAProxy serves');
  const listed = await acme(['list', ...haproxy.slice(0, 2), ...common]);
  if (listed !== 0) return listed;

  step(`Files under ${home} (mode, path)`);
  process.stdout.write(`${(await listFiles(home)).join('\n')}\n`);
  return 0;
}

async function main(): Promise<void> {
  const missing = findMissingPeerBinaries();
  if (missing.length > 0) {
    process.stderr.write(
      `Cannot run the demo: missing ${missing.join(', ')}; run "bash scripts/setup.sh" as root first\n`,
    );
    process.exitCode = 1;
    return;
  }
  step('Starting pebble, pebble-challtestsrv and HAProxy on 127.0.0.1');
  const peers = await startPeers();
  process.stdout.write(
    `pebble directory  ${peers.directoryUrl}\nHAProxy HTTP      ${peers.haproxyHttpUrl}\nHAProxy HTTPS     127.0.0.1:${peers.haproxyHttpsPort}\nHAProxy admin     ${peers.haproxyAdminSocket}\nresponder port    127.0.0.1:${peers.responderPort}\n`,
  );
  const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-demo-'));
  try {
    process.exitCode = await run(peers, home);
  } finally {
    step('Stopping everything the demo started');
    await peers.stop();
    await rm(home, { recursive: true, force: true });
  }
  process.stdout.write(
    process.exitCode === 0
      ? '\nDemo finished: certificate issued, stored, served by HAProxy, and renewed with a live swap.\n'
      : '\nDemo failed; see the error above.\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
