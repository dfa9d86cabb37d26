/** Shared setup for the deploy-hooks tests: a sample certificate and the fixture scripts. */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HookCertificate } from '../../../src/deploy-hooks';

/** test/fixtures/hooks. */
export const HOOK_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'hooks');

/** A certificate as issuance/ would describe it after a renewal under `/var/lib/haproxy-acme`. */
export const SAMPLE_CERT: HookCertificate = {
  name: 'example.com',
  domains: ['example.com', 'www.example.com', '127.0.0.1'],
  certPath: '/var/lib/haproxy-acme/certificates/example.com/cert.pem',
  keyPath: '/var/lib/haproxy-acme/certificates/example.com/privkey.pem',
  chainPath: '/var/lib/haproxy-acme/certificates/example.com/chain.pem',
  fullchainPath: '/var/lib/haproxy-acme/certificates/example.com/fullchain.pem',
  bundlePath: '/var/lib/haproxy-acme/haproxy/example.com.pem',
  serial: '87654321FEDCBA9876543210',
  notAfter: new Date('2026-03-01T12:00:00.000Z'),
  lineageDir: '/var/lib/haproxy-acme/certificates/example.com',
};

/** A fresh 0700 temp dir (mkdtemp), so that checkHook() accepts what is put in it. */
export function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), `haproxy-acme-${prefix}-`));
}

/**
 * Copies test/fixtures/hooks/*.sh into `dir` with mode 0755: git keeps the executable bit, but
 * a checkout's directory may be group-writable (umask 002), which checkHook() rightly refuses.
 */
export async function installFixtureHooks(dir: string): Promise<void> {
  for (const name of await fsp.readdir(HOOK_FIXTURES)) {
    if (!name.endsWith('.sh')) continue;
    await fsp.copyFile(join(HOOK_FIXTURES, name), join(dir, name));
    await fsp.chmod(join(dir, name), 0o755);
  }
}
