import { systemClock, type Clock } from '../clock';
import type { HaproxyEndpoint } from '../issuance';
import type { Logger } from '../log';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  FileCrtList,
  FileDeployStateStore,
  FileLocks,
  FileRenewalStateStore,
  openFileBackend,
} from '../storage';
import { adoptLegoHome, hasLegoLayout, type LegoAdoptionReport } from './adoptLegoHome';

/** Options of adoptLegoHomeLocked(). */
export interface AdoptLegoHomeLockedOptions {
  /** The CA whose lego account and certificates are adopted (`--directory`). */
  directoryUrl: string;
  /** This node's id (`config.nodeId`): whose deploy state records the adopted certificates' delivery. */
  node: string;
  /** The lego account folder to adopt, when there is one of that name. Default: the only one of the CA, else the first in sorted order. */
  email?: string;
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** How long to wait for the home's lock held by another acme command. Default: 60000. */
  lockTimeoutMs?: number;
  /** The crt-list file HAProxy loads at start: adopted bundles are listed in it. Default: none (bundles are only written). */
  crtListPath?: string;
  /** Running HAProxy endpoints to deliver adopted certificates to. Default: none. */
  endpoints?: HaproxyEndpoint[];
  /** Shown to another acme command that waits for the lock. Default: `acme adopt lego`. */
  command?: string;
}

/**
 * adoptLegoHome() for callers without a CLI context (the snap's hooks): builds the file stores of
 * `home`, takes the home's lock (waiting at most `lockTimeoutMs`), adopts, releases the lock.
 * Returns at once, without the lock, when the home holds no lego layout.
 * @throws LockError when another command holds the lock longer than `lockTimeoutMs`; StorageError when --home's own files cannot be read or written
 */
export async function adoptLegoHomeLocked(
  home: string,
  options: AdoptLegoHomeLockedOptions,
): Promise<LegoAdoptionReport> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const { store, bundles } = openFileBackend({ home, clock, logger });
  const deps = {
    directoryUrl: options.directoryUrl,
    store,
    bundles,
    renewalState: new FileRenewalStateStore({ home }),
    deploy: {
      deployState: new FileDeployStateStore({ home, node: options.node }),
      node: options.node,
      endpoints: options.endpoints ?? [],
      ...(options.crtListPath === undefined ? {} : { crtList: new FileCrtList(options.crtListPath) }),
    },
    clock,
    logger,
  };
  const adopt = (): Promise<LegoAdoptionReport> =>
    adoptLegoHome(home, deps, options.email === undefined ? {} : { email: options.email });
  if (!(await hasLegoLayout(home))) return adopt();
  const locks = new FileLocks({ home, clock, logger, command: options.command ?? 'acme adopt lego' });
  let announced = false;
  const lock = await locks.acquire('home', {
    timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    onWait: ({ holder }) => {
      if (announced) return;
      announced = true;
      logger.info("Waiting for another acme command to finish before adopting lego's files", {
        holderPid: holder?.pid,
        holderCommand: holder?.command,
      });
    },
  });
  try {
    return await adopt();
  } finally {
    await lock.release();
  }
}
