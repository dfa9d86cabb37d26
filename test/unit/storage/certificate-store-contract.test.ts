/**
 * The CertificateStore contract suite (test/contract/certificateStoreContract.ts, where its
 * assertions live) run against the file and the memory backend, each from a fresh store.
 */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapturingLogger } from '../../../src/log';
import { FileCertificateStore, MemoryCertificateStore, sanitiseName } from '../../../src/storage';
import { certificateStoreContract } from '../../contract/certificateStoreContract';

const T0 = new Date('2026-11-27T10:00:00.000Z');

/** A clock the contract can move forward. */
function steppingClock(): { clock: { now: () => Date }; advance: (ms: number) => void } {
  let at = T0.getTime();
  return { clock: { now: () => new Date(at) }, advance: (ms) => (at += ms) };
}

certificateStoreContract('FileCertificateStore', async () => {
  const root = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-contract-'));
  const home = join(root, 'home');
  const { clock, advance } = steppingClock();
  const store = new FileCertificateStore({ home, clock, logger: new CapturingLogger() });
  return {
    store,
    advance,
    // A version whose key file is gone: what a disk error or a hand edit leaves.
    corrupt: (name) => fsp.unlink(join(home, 'certificates', sanitiseName(name), 'privkey.pem')),
    cleanup: () => fsp.rm(root, { recursive: true, force: true }),
  };
});

certificateStoreContract('MemoryCertificateStore', async () => {
  const { clock, advance } = steppingClock();
  const store = new MemoryCertificateStore({ clock });
  return {
    store,
    advance,
    corrupt: async (name) => {
      store.corrupt.add(sanitiseName(name));
    },
    cleanup: async () => undefined,
  };
});
