/**
 * External account binding (RFC 8555 §7.3.4) against REAL pebble (the run's) started by this file with
 * `externalAccountBindingRequired` and one MAC key (startPeers has no EAB option, and account
 * registration needs no HAProxy). The binding comes from resolveConfig(), as the CLI will pass it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AcmeService, createAccountKey } from '../../src/acme';
import { resolveConfig } from '../../src/config';
import { AcmeError } from '../../src/errors';
import { CapturingLogger } from '../../src/log';
import { freePort, generateCert, peerVersions } from '../peers';
import { requireBinary } from '../peers/_binaries';

const KID = 'kid-1';
/** pebble's own sample key (test/config/pebble-config-external-account-bindings.json). */
const HMAC_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
const OTHER_KEY = 'b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NNSbiBKA';
const ERR = 'urn:ietf:params:acme:error:';
/** The JOSE library that words pebble's EAB errors: square/go-jose in pebble 2.4, go-jose/go-jose (v4) in 2.7, the one with ARI. */
const JOSE_LIBRARY = peerVersions().pebble.ari ? 'go-jose/go-jose' : 'square/go-jose';

/** GET that resolves the status, or 0 while pebble does not listen yet. */
function statusOf(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    https
      .get(url, { ca, timeout: 2_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

describe('AcmeService against pebble that requires external account binding', () => {
  let workDir: string;
  let pebble: ChildProcess | undefined;
  let output = '';
  let directoryUrl: string;
  let caBundlePem: string;
  const services: AcmeService[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'haproxy-acme-eab-'));
    const cert = await generateCert(workDir, 'pebble', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const [apiPort, managementPort, httpPort, tlsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: cert.certPath,
        privateKey: cert.keyPath,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: true,
        externalAccountMACKeys: { [KID]: HMAC_KEY },
      },
    };
    await writeFile(join(workDir, 'pebble-config.json'), JSON.stringify(config));
    pebble = spawn(requireBinary('pebble'), ['-strict', '-config', join(workDir, 'pebble-config.json')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PEBBLE_VA_NOSLEEP: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pebble.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    pebble.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    caBundlePem = await readFile(cert.certPath, 'utf8');
    directoryUrl = `https://127.0.0.1:${apiPort}/dir`;
    for (let attempt = 0; (await statusOf(directoryUrl, caBundlePem)) !== 200; attempt += 1) {
      if (attempt >= 100 || pebble.exitCode !== null)
        throw new Error(`Cannot start pebble with EAB at "${directoryUrl}"; output:\n${output}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    services.splice(0).forEach((service) => service.close());
    if (pebble !== undefined && pebble.exitCode === null) {
      const exited = new Promise((resolve) => pebble!.once('exit', resolve));
      pebble.kill('SIGTERM');
      await exited;
    }
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  async function service(
    eab: { kid: string; hmacKey: string } | undefined,
    logger = new CapturingLogger(),
  ): Promise<AcmeService> {
    const acme = new AcmeService(await createAccountKey(), {
      directoryUrl,
      caBundlePem,
      logger,
      externalAccountBinding: eab,
    });
    services.push(acme);
    return acme;
  }

  test('directoryMeta() shows that the CA requires external account binding', async () => {
    expect((await (await service(undefined)).directoryMeta()).externalAccountRequired).toBe(true);
  });

  test('ensureAccount() registers an account with the binding from --eab-kid and ACME_EAB_HMAC_KEY', async () => {
    const config = resolveConfig({
      flags: { eabKid: KID },
      env: { ACME_EAB_HMAC_KEY: HMAC_KEY },
      snap: {},
      cwd: workDir,
    });
    const acme = await service(config.eab);
    expect(await acme.ensureAccount({ email: 'ops@example.test' })).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/my-account\/[0-9a-f]+$/,
    );
    expect(await acme.lookupAccount()).toMatch(/\/my-account\//);
  });

  test('ensureAccount() without a binding fails with externalAccountRequired and names the flags', async () => {
    const error = await (await service(undefined)).ensureAccount().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AcmeError);
    expect(error).toMatchObject({
      code: 'ACME_PROBLEM',
      problemType: `${ERR}externalAccountRequired`,
      message: expect.stringMatching(
        /^Cannot register the ACME account: .*externalAccountBinding.*; pass the key ID and HMAC key from your CA account with --eab-kid and --eab-hmac-key$/,
      ),
    });
  });

  test.each<[string, { kid: string; hmacKey: string }, string]>([
    [
      'a wrong HMAC key',
      { kid: KID, hmacKey: OTHER_KEY },
      `external account binding JWS verification error: ${JOSE_LIBRARY}: error in cryptographic primitive`,
    ],
    [
      'an unknown key ID',
      { kid: 'kid-unknown', hmacKey: HMAC_KEY },
      "the field 'kid' references a key that is not known to the ACME server",
    ],
  ])(
    'ensureAccount() with %s is refused by the CA as unauthorized, and the key appears in no message or log line',
    async (_what, eab, detail) => {
      const logger = new CapturingLogger();
      const error = await (await service(eab, logger)).ensureAccount().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(AcmeError);
      expect(error).toMatchObject({
        problemType: `${ERR}unauthorized`,
        message: `Cannot register the ACME account: ${detail} (${ERR}unauthorized)`,
      });
      expect(JSON.stringify([logger.records, (error as Error).message])).not.toContain(eab.hmacKey);
    },
  );
});
