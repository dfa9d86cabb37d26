import type { Writable } from 'node:stream';
import type { Clock } from '../clock';
import type { Config, RawFlags } from '../config';
import type { Logger, CreateLoggerOptions } from '../log';
import type { CertificateStore } from '../storage';
import type { AcmeService } from '../acme';
import type { ChallengeResponder } from '../challenge';

/** Adapters a command needs once the configuration is known; built by main.ts. */
export interface Services {
  store: CertificateStore;
  acmeFor: (accountKeyPem: string) => AcmeService;
  responder: ChallengeResponder;
  /** Undefined when preflight is off. */
  preflight?: (target: { domain: string; token: string; keyAuthorization: string }) => Promise<void>;
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
}
