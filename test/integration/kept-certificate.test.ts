/**
 * Never throw away what the CA issued, end to end: the built CLI against real pebble and HAProxy
 * (whichever the run uses, e.g. pebble 2.7 and HAProxy 3.0 through ACME_TEST_PEBBLE and
 * ACME_TEST_HAPROXY). Each test breaks one step after the download (the run killed before it
 * stores, the store failing, HAProxy unreachable, a post-renew hook failing), checks that the run
 * says so, and that the next run finishes the job while pebble's own log shows exactly one order.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedSerial, startPeers, type Peers } from '../peers';
import { buildCrashAgent, runToCrash } from './_support/crashRun';
import { CLI_PATH, runAcme, type AcmeRun } from './_support/runAcme';

jest.setTimeout(180_000);

/** The leaf of a full chain or bundle. */
function leafOf(pem: string): X509Certificate {
  return new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
}

function expectExit(run: AcmeRun, code: number): void {
  expect({ code: run.code, stderr: run.code === code ? '' : run.stderr }).toEqual({ code, stderr: '' });
}

describe('a certificate the CA issued survives any failure after its download', () => {
  let peers: Peers;
  let work: string;
  let agentPath: string;
  let unique = 0;

  /** Orders pebble created so far, from its own log (`Added order "…" to the db`, pebble 2.4 and 2.7). */
  async function ordersSeen(): Promise<number> {
    return ((await readFile(join(work, 'logs', 'pebble.log'), 'utf8')).match(/Added order "[^"]+" to the db/g) ?? [])
      .length;
  }

  /** A fresh home and domain, and the arguments every run of that home passes. */
  async function fresh(): Promise<{ home: string; domain: string; args: string[] }> {
    unique += 1;
    const home = await mkdtemp(join(work, 'home-'));
    const domain = `kept-${unique}-${process.pid}.example.test`;
    const args = [
      '-d',
      domain,
      '--home',
      home,
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
      '--haproxy-socket',
      peers.haproxyAdminSocket,
      '--haproxy-crt-list',
      peers.haproxyCrtList,
    ];
    return { home, domain, args };
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'haproxy-acme-kept-'));
    peers = await startPeers({ logDir: join(work, 'logs') });
    agentPath = await buildCrashAgent(join(work, 'agent'));
  });
  afterAll(async () => {
    await peers?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('acme issue killed after the download, before it stores anything: the next acme issue stores and serves it, one order', async () => {
    const { home, domain, args } = await fresh();
    const before = await ordersSeen();

    // SIGKILL just before the first write under certificates/: the CA has issued, nothing is stored.
    const killed = await runToCrash(
      ['issue', ...args],
      { agentPath, cliPath: CLI_PATH },
      { agent: { watch: [join(home, 'certificates')], killAt: 1 } },
    );
    expect(killed.signal).toBe('SIGKILL');
    const keptPath = join(home, 'issued', `${domain}.json`);
    expect((await stat(keptPath)).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(keptPath, 'utf8')) as { fullchainPem: string };

    const next = await runAcme(['issue', ...args]);

    expectExit(next, 0);
    expect(next.stdout).toContain(
      `Finished "${domain}" for ${domain} from the certificate an earlier run obtained; no new order`,
    );
    const serial = leafOf(kept.fullchainPem).serialNumber.toUpperCase();
    expect(await servedSerial(peers.haproxyHttpsPort, domain)).toBe(serial);
    expect([(await ordersSeen()) - before, await stat(keptPath).catch(() => 'gone')]).toEqual([1, 'gone']);
  });

  test('acme issue whose store fails exits 1 naming the kept file; once fixed, acme renew stores and serves it, one order', async () => {
    const { home, domain, args } = await fresh();
    const before = await ordersSeen();
    // A file where the store's versions directory belongs: the store cannot write a version.
    await mkdir(join(home, 'certificates'), { recursive: true, mode: 0o700 });
    await writeFile(join(home, 'certificates', '.versions'), 'not a directory\n');

    const failed = await runAcme(['issue', ...args]);

    expect(failed.code).toBe(1);
    const keptPath = join(home, 'issued', `${domain}.json`);
    expect(failed.stderr).toContain(`Error: Cannot finish "${domain}" after the CA issued it: `);
    expect(failed.stderr).toContain(
      `; the certificate and its key are kept in "${keptPath}": fix the cause, then run "acme issue" or "acme renew" again to finish from it without a new order`,
    );

    await rm(join(home, 'certificates', '.versions'));
    const next = await runAcme(['renew', ...args.slice(2)]);

    expectExit(next, 0);
    expect(next.stdout).toContain('finished from the kept certificate (no new order)');
    const bundle = await readFile(join(home, 'haproxy', `${domain}.pem`), 'utf8');
    expect(await servedSerial(peers.haproxyHttpsPort, domain)).toBe(leafOf(bundle).serialNumber.toUpperCase());
    expect((await ordersSeen()) - before).toBe(1);
  });

  test('acme issue whose bundle cannot be written exits 1 saying the certificate is stored; acme deploy then writes and serves it, one order', async () => {
    const { home, domain, args } = await fresh();
    const before = await ordersSeen();
    // A file where the bundle directory belongs: the certificate is stored, its bundle cannot be written.
    await writeFile(join(home, 'haproxy'), 'not a directory\n');

    const failed = await runAcme(['issue', ...args]);

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `Error: Stored certificate "${domain.replace(/\./g, '\\.')}" \\(serial [0-9A-F]+\\) but cannot write its HAProxy bundle ".+": .+; fix the cause, then run "acme deploy": it writes the bundle and delivers it, without a new order`,
      ),
    );
    const stored = await readFile(join(home, 'certificates', domain, 'cert.pem'), 'utf8');

    await rm(join(home, 'haproxy'));
    const next = await runAcme(['deploy', ...args.slice(2)]);

    expectExit(next, 0);
    const bundle = await readFile(join(home, 'haproxy', `${domain}.pem`), 'utf8');
    const serial = leafOf(stored).serialNumber.toUpperCase();
    expect([leafOf(bundle).serialNumber.toUpperCase(), await servedSerial(peers.haproxyHttpsPort, domain)]).toEqual([
      serial,
      serial,
    ]);
    expect((await ordersSeen()) - before).toBe(1);
  });

  test('acme issue with HAProxy unreachable exits 1; the next acme issue delivers the stored certificate, one order', async () => {
    const { home, domain, args } = await fresh();
    const before = await ordersSeen();
    const away = `${peers.haproxyAdminSocket}.away`;
    // HAProxy keeps listening on the socket's inode: only its path is gone, as when HAProxy is down.
    await rename(peers.haproxyAdminSocket, away);
    let failed: AcmeRun;
    try {
      failed = await runAcme(['issue', ...args]);
    } finally {
      await rename(away, peers.haproxyAdminSocket);
    }

    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `Error: Certificate "${domain}" is stored but not yet served by every HAProxy endpoint`,
    );

    const next = await runAcme(['issue', ...args]);

    expectExit(next, 0);
    expect(next.stdout).toContain(`Finished "${domain}"`);
    const bundle = await readFile(join(home, 'haproxy', `${domain}.pem`), 'utf8');
    expect(await servedSerial(peers.haproxyHttpsPort, domain)).toBe(leafOf(bundle).serialNumber.toUpperCase());
    expect((await ordersSeen()) - before).toBe(1);
  });

  test('acme renew --force whose post-renew hook fails exits 1; the next acme renew runs the hook again and orders nothing', async () => {
    const { domain, args } = await fresh();
    expectExit(await runAcme(['issue', ...args]), 0);
    const bin = await mkdtemp(join(work, 'bin-'));
    const hook = join(bin, 'copy-serial');
    // Fails while the flag file exists, then records the serial it was given.
    await writeFile(
      hook,
      '#!/bin/sh\nif [ -e "$1" ]; then echo "target unreachable" >&2; exit 3; fi\nprintf %s "$ACME_HOOK_SERIAL" > "$2"\n',
    );
    await chmod(hook, 0o755);
    const flag = join(bin, 'fail');
    const probe = join(bin, 'serial');
    await writeFile(flag, '');
    const renewArgs = [...args.slice(2), '--deploy-hook', `${hook} ${flag} ${probe}`];
    const before = await ordersSeen();

    const failed = await runAcme(['renew', '--force', '--json', ...renewArgs]);

    expect(failed.code).toBe(1);
    const [outcome] = JSON.parse(failed.stdout).certificates as Array<{
      renewed: { serial: string };
      hooks: Array<{ ok: boolean; exitCode: number }>;
    }>;
    expect(outcome!.hooks).toEqual([expect.objectContaining({ ok: false, exitCode: 3 })]);

    await rm(flag);
    const next = await runAcme(['renew', '--json', ...renewArgs]);

    expectExit(next, 0);
    expect(JSON.parse(next.stdout).certificates).toEqual([
      expect.objectContaining({
        decision: expect.objectContaining({ due: false }),
        hooks: [expect.objectContaining({ ok: true })],
      }),
    ]);
    expect(await readFile(probe, 'utf8')).toBe(outcome!.renewed.serial);
    expect(await servedSerial(peers.haproxyHttpsPort, domain)).toBe(outcome!.renewed.serial);
    expect((await ordersSeen()) - before).toBe(1);
  });
});
