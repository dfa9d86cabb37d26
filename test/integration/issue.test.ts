/**
 * `acme issue` end to end: the built CLI against real pebble, validated through a real HAProxy
 * whose HTTP frontend routes /.well-known/acme-challenge/ to our responder.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPeers, type Peers } from '../peers';
import { runAcme } from './_support/runAcme';

let uniqueCounter = 0;
/** A name no other test uses, so pebble's authorizations never carry over. */
function uniqueDomain(label: string): string {
  uniqueCounter += 1;
  return `${label}-${process.pid}-${uniqueCounter}.example.test`;
}

function certificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

describe('acme issue against pebble through HAProxy', () => {
  let peers: Peers;
  let logDir: string;
  let home: string;
  let common: string[];

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'haproxy-acme-issue-logs-'));
    peers = await startPeers({ logDir });
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-issue-home-'));
    common = [
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    ];
  });

  afterAll(async () => {
    await peers?.stop();
    for (const dir of [home, logDir]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('acme issue stores a bundle that chains to pebble, covers the names and matches its key', async () => {
    const names = [uniqueDomain('site'), uniqueDomain('www')];
    const run = await runAcme([
      'issue',
      '-d',
      names.join(','),
      '--email',
      'ops@example.test',
      '--preflight',
      peers.haproxyHttpUrl,
      '--json',
      ...common,
    ]);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });

    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({
      schemaVersion: 1,
      ok: true,
      certificate: { name: names[0], domains: names, keyType: 'ec256', accountReused: false },
    });

    const bundlePath = join(home, 'haproxy', `${names[0]}.pem`);
    expect((await stat(bundlePath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'certificates', names[0]!, 'privkey.pem'))).mode & 0o777).toBe(0o600);

    const bundle = await readFile(bundlePath, 'utf8');
    expect(bundle).not.toMatch(/\r|\n\n/);
    const [leaf, ...chain] = certificates(bundle);
    const [root, intermediate] = (await peers.fetchIssuanceRoots()).map((pem) => new X509Certificate(pem));
    expect(leaf!.serialNumber.toUpperCase()).toBe(document.certificate.serial);
    expect(leaf!.checkIssued(intermediate!)).toBe(true);
    expect(leaf!.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate!.verify(root!.publicKey)).toBe(true);
    expect(chain.map((c) => c.fingerprint256)).toEqual([intermediate!.fingerprint256]);
    for (const name of names) expect(leaf!.checkHost(name)).toBe(name);
    const keyBlock = bundle.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/)![0];
    expect(leaf!.checkPrivateKey(createPrivateKey(keyBlock))).toBe(true);
  });

  test('a second acme issue reuses the stored account and acme list shows both certificates', async () => {
    const name = uniqueDomain('second');
    const run = await runAcme(['issue', '-d', name, '--json', ...common]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).certificate.accountReused).toBe(true);
    expect(await readdir(join(home, 'accounts'))).toHaveLength(1);

    const list = await runAcme(['list', '--json', '--home', home]);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout).certificates as Array<{ name: string; daysLeft: number }>;
    expect(listed.map((c) => c.name)).toContain(name);
    expect(listed).toHaveLength(2);
    expect(listed.every((c) => c.daysLeft >= 1)).toBe(true);
  });

  test('a broken route fails at preflight with exit 1, asks the CA for no validation and writes no certificate', async () => {
    const name = uniqueDomain('broken');
    const validationsBefore = await countValidations(logDir);
    expect(validationsBefore).toBeGreaterThan(0); // the earlier issuances were validated: the probe works
    // The responder listens on a port HAProxy does not route to: the route is broken. A port the system
    // just handed out, not a neighbour of the peers' ports, which another test file may be using.
    const unrouted = await freePort();
    const run = await runAcme([
      'issue',
      '-d',
      name,
      '--preflight',
      peers.haproxyHttpUrl,
      ...common,
      '--http-port',
      String(unrouted),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Preflight failed for "${name}"`);
    expect(run.stderr).toContain('returned HTTP 503');
    expect(await countValidations(logDir)).toBe(validationsBefore);
    expect(existsSync(join(home, 'certificates', name))).toBe(false);
  });
});

/** How many challenge validations pebble's VA has started so far, read from its log (pebble 2.4 format). */
async function countValidations(logDir: string): Promise<number> {
  const log = await readFile(join(logDir, 'pebble.log'), 'utf8');
  return log.split('\n').filter((line) => line.includes('Pulled a task from the Tasks queue')).length;
}
