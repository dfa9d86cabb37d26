/**
 * The storage contract suites (test/contract/, where their assertions live) run against the file
 * and memory backends: renewal state, deploy state, and the account part of the certificate store.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapturingLogger } from '../../../src/log';
import {
  accountDir,
  FileCertificateStore,
  FileDeployStateStore,
  FileRenewalStateStore,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { accountStoreContract } from '../../contract/accountStoreContract';
import { deployStateStoreContract } from '../../contract/deployStateContract';
import { renewalStateStoreContract } from '../../contract/renewalStateContract';

async function tempHome(): Promise<{ home: string; cleanup(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'haproxy-acme-contract-'));
  return { home, cleanup: () => rm(home, { recursive: true, force: true }) };
}

const clock = { now: () => new Date('2026-11-27T00:00:00.000Z') };

renewalStateStoreContract('FileRenewalStateStore', async () => {
  const { home, cleanup } = await tempHome();
  return { store: new FileRenewalStateStore({ home }), cleanup };
});
renewalStateStoreContract('MemoryRenewalStateStore', async () => ({
  store: new MemoryRenewalStateStore(),
  cleanup: async () => undefined,
}));

deployStateStoreContract('FileDeployStateStore', async () => {
  const { home, cleanup } = await tempHome();
  return { store: new FileDeployStateStore({ home, node: 'node-1' }), cleanup };
});
deployStateStoreContract('MemoryDeployStateStore', async () => ({
  store: new MemoryDeployStateStore(),
  cleanup: async () => undefined,
}));

const homes = new WeakMap<object, string>();
accountStoreContract(
  'FileCertificateStore',
  async () => {
    const { home, cleanup } = await tempHome();
    const logger = new CapturingLogger();
    const fixture = {
      store: new FileCertificateStore({ home, clock, logger }),
      logged: () => JSON.stringify(logger.records),
      cleanup,
    };
    homes.set(fixture, home);
    return fixture;
  },
  {
    damage: async (fixture, directoryUrl) => {
      const keyPath = join(accountDir(homes.get(fixture)!, directoryUrl), 'account.key.pem');
      const truncated = (await readFile(keyPath, 'utf8')).split('\n').slice(0, 3).join('\n');
      await writeFile(keyPath, truncated);
    },
  },
);
accountStoreContract('MemoryCertificateStore', async () => ({
  store: new MemoryCertificateStore({ clock }),
  logged: () => '',
  cleanup: async () => undefined,
}));
