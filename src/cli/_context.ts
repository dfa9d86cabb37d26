import type { Writable } from 'node:stream';
import type { Clock } from '../clock';
import type { Config, RawFlags } from '../config';
import type { Logger, CreateLoggerOptions } from '../log';
import type {
  AccountKeyStage,
  CertificatePaths,
  CertificateStore,
  ChangeFeed,
  CrtList,
  DeployStateStore,
  IssuedCertificateStore,
  LocalBundles,
  Locks,
  RenewalStateStore,
  StoredCertificate,
} from '../storage';
import type {
  AcmeAccountClient,
  AcmeOrderClient,
  HaproxyEndpoint,
  HookOutcome,
  ReloadFallback,
  RemovalEndpoint,
} from '../issuance';
import type { ChallengeResponder, ChallengeTokenRegistry } from '../challenge';
import type { LegoDirectoryReader } from '../migration';
import type { OnInterrupt } from './_cancel';

/** Adapters a command needs once the configuration is known; built by main.ts. */
export interface Services {
  store: CertificateStore;
  /** This node's HAProxy bundles (`<home>/haproxy/`): written after a save, reconciled first. */
  bundles: LocalBundles;
  /** Where the files of a certificate are, for `acme issue` output and hook variables (file backend). */
  certificatePaths: (name: string) => CertificatePaths;
  /** Where `acme remove` put a certificate, from the store's archive id (`<home>/archive/<id>`). */
  archiveDir: (archiveId: string) => string;
  /** Certificates the CA issued that are not stored yet (`<home>/issued/`). */
  issued: IssuedCertificateStore;
  deployState: DeployStateStore;
  /** This node's id (`config.nodeId`): the key of its deploy state in `deployState`. */
  node: string;
  /** The named locks: every state-changing command holds `home` (withHomeLock()), each issuance `certificate/<name>`. */
  locks: Locks;
  /**
   * Brings `--home` to the layout this release writes (migrateHome()), in place and idempotently;
   * run under the home lock before a command's work. @throws ConfigError for a newer release's home
   */
  prepareHome: () => Promise<void>;
  acmeFor: (accountKeyPem: string) => AcmeOrderClient & AcmeAccountClient;
  responder: Pick<ChallengeResponder, 'acquire' | 'present' | 'cleanup'>;
  /** Undefined when preflight is off. */
  preflight?: (target: { domain: string; token: string; keyAuthorization: string }) => Promise<void>;
  /** One per --haproxy-socket; empty when none is configured (bundles are only written). */
  haproxyEndpoints: Array<HaproxyEndpoint & RemovalEndpoint>;
  crtList?: CrtList;
  fallback?: ReloadFallback;
  renewalState: RenewalStateStore;
  /** Post-renew hooks: `<home>/hooks/post-renew.d/` then `--deploy-hook`. */
  runHooks: (certificate: StoredCertificate) => Promise<HookOutcome[]>;
  /**
   * Refuses, before anything is ordered or written, a post-renew hook directory, hook or reload
   * command that a user other than root or us could change. @throws ConfigError
   */
  checkPrograms: () => Promise<void>;
  /**
   * Set when several HAProxy nodes share the store (`--storage postgres://…`): the change feed
   * `acme sync --follow` follows, the shared HTTP-01 tokens (`--http01-mode shared`), and a
   * label of the store for messages (no credentials).
   */
  cluster?: { feed: ChangeFeed; tokens: ChallengeTokenRegistry; storage: string };
  /** Uniform [0, 1): the random instant inside an ARI window. */
  random: () => number;
  /** The next account key during `acme account rollover`. */
  accountKeyStage: AccountKeyStage;
  /** Reads a lego directory for `acme import lego`. */
  legoReader: Pick<LegoDirectoryReader, 'read'>;
}

/** Everything the CLI touches outside itself; main.ts passes the real process, tests pass their own. */
export interface CliDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal: text logs and progress there, JSON lines otherwise. */
  stderrIsTty: boolean;
  clock: Clock;
  version: string;
  createLogger: (options: CreateLoggerOptions) => Logger;
  loadConfig: (flags: RawFlags) => Promise<Config>;
  createServices: (config: Config, logger: Logger) => Services;
  /** Resolves with the signal name on SIGTERM or SIGINT (the daemon's graceful stop). */
  waitForShutdown: () => Promise<string>;
  /**
   * Runs this CLI again as a child process with `args` (stdio inherited); resolves to its exit
   * code. A child that outlives its own deadline (`--timeout`) by a grace period is killed, and
   * `logger` says so.
   */
  runSelf: (args: string[], logger: Logger) => Promise<number>;
  /**
   * Runs this CLI with `args` as a long-lived child (the daemon's store follower), restarted after
   * a failure, until `signal` aborts or it exits 0. Default: none (the daemon follows nothing).
   */
  superviseSelf?: (args: string[], logger: Logger, signal: AbortSignal) => Promise<void>;
  /** The step the command is in (the ACME operation in flight), for the deadline message. Default: always unknown. */
  currentStep?: () => string | undefined;
  /**
   * Subscribes to SIGINT and SIGTERM for a one-shot command: the first aborts the command's signal,
   * which then exits 130 or 143 (see _cancel.ts). Default: none (never interrupted).
   */
  onInterrupt?: OnInterrupt;
  /** Tells a parent `acme daemon`, if there is one, how long this pass may run. Default: nothing. */
  announceDeadline?: (timeoutMs: number) => void;
  /**
   * Ends the process with `code` once what was printed is flushed; called after the deadline
   * passed, since not every command's work takes the signal. Default: nothing (the command only returns).
   */
  exitNow?: (code: number) => void;
}
