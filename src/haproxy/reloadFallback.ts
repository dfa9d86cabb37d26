import { execFile } from 'node:child_process';
import { HaproxyError } from '../errors';
import type { Logger } from '../log';
import { formatRuntimeEndpoint, type RuntimeEndpoint } from './_endpoint';
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
}

/** Default limit for the reload command. */
export const RELOAD_COMMAND_TIMEOUT_MS = 60_000;

/**
 * The configured last resort, e.g. `snapctl restart mysnap.haproxy`: run without a shell, with
 * a timeout; a non-zero exit is a failure. A restart drops connections, hence "last".
 */
export class CommandReloadFallback {
  readonly label: string;

  constructor(private readonly options: { argv: readonly string[]; env: NodeJS.ProcessEnv; logger: Logger; timeoutMs?: number }) {
    this.label = `command "${options.argv.join(' ')}"`;
  }

  /** @throws HaproxyError with the exit code and the last output lines */
  async reload(): Promise<void> {
    const [file, ...args] = this.options.argv;
    if (file === undefined) throw new HaproxyError('Cannot reload HAProxy: the reload command is empty', { command: '', endpoint: this.label });
    await new Promise<void>((done, fail) => {
      execFile(file, args, { env: this.options.env, timeout: this.options.timeoutMs ?? RELOAD_COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim().split('\n').slice(-5).join(' | ');
        this.options.logger.debug('Reload command finished', { command: this.label, output });
        if (error === null) {
          done();
          return;
        }
        fail(
          new HaproxyError(`Cannot reload HAProxy with ${this.label}: ${error.message.split('\n')[0]}${output === '' ? '' : `; output: ${output}`}`, {
            command: this.options.argv.join(' '),
            endpoint: this.label,
            cause: error,
          }),
        );
      });
    });
  }
}
