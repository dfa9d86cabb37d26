/**
 * The renewal use case wired to a real file home and nothing else, for benchmarks of a pass in
 * which nothing is due: no CA (the directory URL is a closed loopback port), no responder, no
 * HAProxy. Any attempt to order or answer a challenge throws, so a benchmark that renews by
 * mistake fails instead of measuring the wrong thing.
 */
import { systemClock } from '../../src/clock';
import type { RenewalDeps } from '../../src/issuance';
import { silentLogger } from '../../src/log';
import {
  FileDeployStateStore,
  FileIssuedCertificateStore,
  FileLocks,
  FileRenewalStateStore,
  openFileBackend,
} from '../../src/storage';

/** Port 9 (discard) on loopback: closed, so a stray request fails at once instead of leaving the machine. */
export const DEAD_DIRECTORY = 'https://127.0.0.1:9/dir';

/**
 * RenewalDeps over the file home `home`, as `acme renew` builds them, for the benchmark `label`
 * (named in the errors); `onAcme` is called on every attempt to reach the CA before it throws.
 */
export function offlineRenewalDeps(home: string, label: string, onAcme: () => void = () => undefined): RenewalDeps {
  const refuse = (): never => {
    throw new Error(`Cannot answer a challenge in the ${label} benchmark: nothing should be renewed`);
  };
  const { store, bundles } = openFileBackend({ home, clock: systemClock, logger: silentLogger });
  return {
    directoryUrl: DEAD_DIRECTORY,
    store,
    bundles,
    issued: new FileIssuedCertificateStore({ home }),
    locks: new FileLocks({ home, clock: systemClock, logger: silentLogger }),
    acmeFor: () => {
      onAcme();
      throw new Error(`Cannot use the network in the ${label} benchmark`);
    },
    responder: { acquire: refuse, present: refuse, cleanup: refuse },
    clock: systemClock,
    logger: silentLogger,
    renewalState: new FileRenewalStateStore({ home }),
    deploy: { deployState: new FileDeployStateStore({ home, node: 'node-1' }), node: 'node-1', endpoints: [] },
    random: Math.random,
  };
}
