import { HaproxyError } from '../errors';
import type { Logger } from '../log';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
import { parseShowSslCert } from './_parse';
import { commandLine } from './_payload';
import { MasterClient } from './MasterClient';

/** Reload through the master CLI socket, checked with `show proc` (2.6) or `Success=` (2.7+). */
export class MasterReloadFallback {
  readonly label: string;
  private readonly master: MasterClient;

  constructor(options: { endpoint: RuntimeEndpoint; logger: Logger }) {
    this.label = `master socket ${formatRuntimeEndpoint(options.endpoint)}`;
    this.master = new MasterClient({ endpoint: options.endpoint, logger: options.logger });
  }

  /** @throws HaproxyError when the reload fails or cannot be confirmed */
  async reload(): Promise<void> {
    await this.master.reload();
  }

  /**
   * What the newest worker serves under `path`, asked through the master (`@1 show ssl cert
   * <path>`, HAProxy management guide "Master CLI": `@1` is the current worker), so a reload is
   * proved even when the runtime socket itself is what failed. Undefined when the worker does not
   * know the path. Reply sample: `Filename: /x.pem\nStatus: Used\nSerial: 6F4F…\n…SHA1 FingerPrint: 40E3…`.
   * @throws HaproxyError when the master socket cannot be reached
   */
  async servedCertificate(path: string): Promise<{ serial: string; sha1Fingerprint: string } | undefined> {
    const info = parseShowSslCert(await this.master.execute(`@1 ${commandLine('show ssl cert', path)}`));
    return info === undefined ? undefined : { serial: info.serial, sha1Fingerprint: info.sha1Fingerprint };
  }
}

/** Default limit for the reload command. */
export const RELOAD_COMMAND_TIMEOUT_MS = 60_000;

/** How a run of the reload command ended, as deploy-hooks' runProgram() reports it. */
export interface ReloadCommandResult {
  ok: boolean;
  /** Why it failed, when it did. */
  error?: string;
}

/** Options of CommandReloadFallback. */
export interface CommandReloadFallbackOptions {
  argv: readonly string[];
  /**
   * Runs `argv` and says how it ended. main.ts passes deploy-hooks' runProgram(): no shell, the
   * minimal environment hooks get, the program checked and run from its descriptor, a timeout.
   */
  run: (argv: readonly string[]) => Promise<ReloadCommandResult>;
}

/**
 * The configured last resort, e.g. `snapctl restart mysnap.haproxy`; a non-zero exit is a
 * failure. A restart drops connections, hence "last". Whether HAProxy then serves the new
 * certificate is proved by the caller, never assumed from the exit status.
 */
export class CommandReloadFallback {
  readonly label: string;

  constructor(private readonly options: CommandReloadFallbackOptions) {
    this.label = `command "${options.argv.join(' ')}"`;
  }

  /** @throws HaproxyError when the command is empty, could not run, failed or timed out */
  async reload(): Promise<void> {
    const command = this.options.argv.join(' ');
    if (this.options.argv.length === 0)
      throw new HaproxyError('Cannot reload HAProxy: the reload command is empty', {
        command: '',
        endpoint: this.label,
      });
    const result = await this.options.run(this.options.argv);
    if (result.ok) return;
    throw new HaproxyError(`Cannot reload HAProxy with ${this.label}: ${result.error ?? 'it failed'}`, {
      command,
      endpoint: this.label,
    });
  }
}
