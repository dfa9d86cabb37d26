/**
 * `acme issue` through the CLI with in-memory stores, a signing CA and a fake HAProxy: a run whose
 * step after the download fails exits 1 saying what is kept where, and running it again finishes
 * without a second order.
 */
import { EXIT_FAILED, EXIT_OK, runCli, type Services } from '../../../src/cli';
import { HaproxyError, StorageError } from '../../../src/errors';
import type { CertificateDelivery, HaproxyEndpoint, ServedCertificate } from '../../../src/issuance';
import {
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  type CrtList,
} from '../../../src/storage';
import { IssuingCa } from '../issuance/_issuingCa';
import { cliHarness } from './_harness';

const SOCKET = 'unix@/run/haproxy/admin.sock';
const ARGS = ['issue', '-d', 'example.net', '-d', '192.0.2.10', '--home', '/srv/acme', '--json'];

/** An in-memory HAProxy that is unreachable while `down`. */
class FakeHaproxy implements HaproxyEndpoint {
  readonly label = SOCKET;
  readonly served = new Map<string, ServedCertificate>();
  down = false;
  async servedCertificate(path: string): Promise<ServedCertificate | undefined> {
    if (this.down)
      throw new HaproxyError(`Cannot run "show ssl cert" on HAProxy socket "${SOCKET}": connect ECONNREFUSED`, {
        command: 'show ssl cert',
        endpoint: SOCKET,
        retryable: true,
      });
    return this.served.get(path);
  }
  async swapCertificate(delivery: CertificateDelivery): Promise<void> {
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }
  async addCertificate(delivery: CertificateDelivery): Promise<void> {
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }

  /** This HAProxy lists every certificate it serves, so there is never one to list again. */
  async ensureListed(): Promise<boolean> {
    return false;
  }
}

function setup() {
  const ca = new IssuingCa();
  const store = new MemoryCertificateStore({ home: '/srv/acme' });
  const haproxy = new FakeHaproxy();
  const crtList: CrtList = {
    path: '/etc/haproxy/crt-list.txt',
    ensureEntry: async () => false,
    hasEntry: async () => true,
    removeEntry: async () => false,
  };
  const services: Partial<Services> = {
    store,
    issued: new MemoryIssuedCertificateStore('/srv/acme'),
    deployState: new MemoryDeployStateStore(),
    acmeFor: () => ca.client() as ReturnType<Services['acmeFor']>,
    responder: {
      acquire: async () => async () => undefined,
      present: async () => undefined,
      cleanup: async () => undefined,
    },
    haproxyEndpoints: [haproxy as unknown as Services['haproxyEndpoints'][number]],
    crtList,
  };
  return { ca, store, haproxy, services };
}

describe('acme issue after a failure past the download', () => {
  test('acme issue exits 1 when HAProxy is down, and run again delivers the stored certificate without a new order', async () => {
    const { ca, haproxy, services } = setup();
    haproxy.down = true;
    const first = cliHarness(services);
    expect(await runCli(ARGS, first.deps)).toBe(EXIT_FAILED);
    expect(first.stderr()).toContain(
      'Error: Certificate "example.net" is stored but not yet served by every HAProxy endpoint',
    );

    haproxy.down = false;
    const second = cliHarness(services);
    expect(await runCli(ARGS, second.deps)).toBe(EXIT_OK);

    const document = JSON.parse(second.stdout());
    expect(document).toMatchObject({
      ok: true,
      certificate: { resumed: true, serial: JSON.parse(first.stdout()).certificate.serial },
      deploy: [{ outcome: 'added' }],
    });
    expect(ca.orders).toHaveLength(1);
  });

  test('acme issue exits 1 saying where the certificate is kept when it cannot be stored, and run again stores it without a new order', async () => {
    const { ca, store, services } = setup();
    const save = store.saveCertificate.bind(store);
    store.saveCertificate = async () => {
      store.saveCertificate = save;
      throw new StorageError('STORAGE_IO', 'Cannot write certificate "example.net": ENOSPC: no space left on device', {
        path: '/srv/acme/certificates',
      });
    };
    const first = cliHarness(services);
    expect(await runCli(ARGS, first.deps)).toBe(EXIT_FAILED);
    expect(first.stderr()).toContain(
      'Error: Cannot finish "example.net" after the CA issued it: Cannot write certificate "example.net": ENOSPC: no space left on device; the certificate and its key are kept in "/srv/acme/issued/example.net.json": fix the cause, then run "acme issue" or "acme renew" again to finish from it without a new order\n',
    );

    const second = cliHarness(services);
    expect(
      await runCli(
        ARGS.filter((a) => a !== '--json'),
        second.deps,
      ),
    ).toBe(EXIT_OK);

    expect(second.stdout()).toMatch(
      /^Finished "example\.net" for example\.net, 192\.0\.2\.10 from the certificate an earlier run obtained; no new order\n/,
    );
    expect(ca.orders).toHaveLength(1);
  });

  test('acme issue orders anew when the stored certificate was delivered (no deploy owed)', async () => {
    const { ca, services } = setup();
    expect(await runCli(ARGS, cliHarness(services).deps)).toBe(EXIT_OK);
    const again = cliHarness(services);
    expect(await runCli(ARGS, again.deps)).toBe(EXIT_OK);
    expect([JSON.parse(again.stdout()).certificate.resumed, ca.orders.length]).toEqual([false, 2]);
  });
});
