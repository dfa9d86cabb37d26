import { PassThrough } from 'node:stream';
import type { CliDeps, Services } from '../../../src/cli';
import { fixedClock } from '../../../src/clock';
import { resolveConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';
import { appendTranscript } from '../../../scripts/scan-secrets';
import { LegoDirectoryReader } from '../../../src/migration';
import {
  archiveRoot,
  certificatePaths,
  MemoryAccountKeyStage,
  MemoryCertificateStore,
  MemoryDeployStateStore,
  MemoryIssuedCertificateStore,
  MemoryLocalBundles,
  MemoryLocks,
  MemoryRenewalStateStore,
} from '../../../src/storage';
import { join } from 'node:path';

/** The CLI with real config resolution, in-memory adapters, captured stdout/stderr; no process state touched. */
export interface CliHarness {
  deps: CliDeps;
  stdout: () => string;
  stderr: () => string;
  /** Log lines of the default logger (the real one, JSON lines, secrets redacted); empty when `createLogger` is overridden. */
  logs: () => string;
}

/** Collects what `stream` carries, and appends each chunk to the test's transcript for scripts/scan-secrets.ts. */
function collect(stream: PassThrough, name: string): () => string {
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    chunks.push(text);
    const { testPath, currentTestName } = expect.getState();
    appendTranscript({ testPath, testName: currentTestName, stream: name, text });
  });
  return () => chunks.join('');
}

/**
 * The harness's own memory `what` when `make` can build one over the stores in use; otherwise an
 * object that fails the test on first use, naming what to pass.
 */
function memoryOnly<T extends object>(what: string, make: () => T | undefined): T {
  const made = make();
  if (made !== undefined) return made;
  return new Proxy({} as T, {
    get: () => {
      throw new Error(`cliHarness() has no ${what} over the stores this test passed: pass services.${what} too`);
    },
  });
}

/** Builds CliDeps around in-memory services; `services` overrides any of them, `overrides` any other dependency. */
export function cliHarness(services: Partial<Services> = {}, overrides: Partial<CliDeps> = {}): CliHarness {
  const store = services.store ?? new MemoryCertificateStore({ home: '/srv/acme' });
  const deployState = services.deployState ?? new MemoryDeployStateStore();
  const renewalState = services.renewalState ?? new MemoryRenewalStateStore();
  const bundles = services.bundles ?? new MemoryLocalBundles({ store, home: '/srv/acme' });
  const out = new PassThrough();
  const err = new PassThrough();
  const log = new PassThrough();
  const deps: CliDeps = {
    env: {},
    cwd: '/',
    stdout: out,
    stderr: err,
    stderrIsTty: false,
    clock: fixedClock(new Date('2026-11-27T00:00:00Z')),
    version: '9.9.9',
    // The real logger, so that transcripts hold log lines as users would see them (redacted, JSON).
    createLogger: (options) => createLogger({ ...options, format: 'json', stream: log }),
    loadConfig: async (flags) => resolveConfig({ flags, env: {}, snap: {}, cwd: '/' }),
    createServices: () => ({
      store,
      bundles,
      certificatePaths: (name) => certificatePaths('/srv/acme', name),
      archiveDir: (archiveId) => join(archiveRoot('/srv/acme'), archiveId),
      issued: new MemoryIssuedCertificateStore('/srv/acme'),
      deployState,
      node: 'node-1',
      locks: new MemoryLocks(),
      // A memory store has no layout to migrate.
      prepareHome: async () => undefined,
      acmeFor: () => {
        throw new Error('no ACME in unit tests');
      },
      responder: undefined as never,
      haproxyEndpoints: [],
      renewalState,
      accountKeyStage: memoryOnly('accountKeyStage', () =>
        store instanceof MemoryCertificateStore ? new MemoryAccountKeyStage(store) : undefined,
      ),
      legoReader: new LegoDirectoryReader(),
      runHooks: async () => [],
      checkPrograms: async () => undefined,
      random: () => 0.5,
      ...services,
    }),
    waitForShutdown: () => new Promise(() => undefined),
    runSelf: async () => {
      throw new Error('no child processes in unit tests');
    },
    ...overrides,
  };
  return { deps, stdout: collect(out, 'stdout'), stderr: collect(err, 'stderr'), logs: collect(log, 'log') };
}
