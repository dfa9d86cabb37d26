import { execFile } from 'node:child_process';
import { ConfigError, messageOf } from '../errors';
import { readSnapOptions, SNAPCTL_TIMEOUT_MS } from '../config';

/** What the snap commands ask of snapd. In tests a stand-in `snapctl` on PATH answers. */
export interface Snapctl {
  /** Values of the set options among `keys` (`snapctl get -d`); unset ones are absent. */
  get(keys: readonly string[]): Promise<Record<string, unknown>>;
  /** `snapctl set key=value…`; inside the configure hook this joins the hook's transaction. */
  set(values: Readonly<Record<string, string>>): Promise<void>;
  /**
   * `snapctl restart [--reload] <service>…`; from the configure hook snapd runs it after the hook succeeds.
   * With `reload`, a running service that has a reload-command is reloaded instead (a stopped one is started).
   */
  restart(services: readonly string[], options?: { reload?: boolean }): Promise<void>;
}

/** Options of ExecSnapctl. */
export interface ExecSnapctlOptions {
  /** Environment for snapctl (its PATH finds the executable); the composition root passes process.env. */
  env: NodeJS.ProcessEnv;
  /** Kill snapctl after this long. Default: 5000 ms. */
  timeoutMs?: number;
}

/**
 * The real snapctl: reads through config/'s readSnapOptions() (the reader the CLI uses), and writes
 * and restarts with execFile (no shell).
 */
export class ExecSnapctl implements Snapctl {
  constructor(private readonly options: ExecSnapctlOptions) {}

  /** @throws ConfigError when snapctl fails or prints something other than a JSON object */
  get(keys: readonly string[]): Promise<Record<string, unknown>> {
    return readSnapOptions([...keys], { env: this.options.env, timeoutMs: this.options.timeoutMs });
  }

  /** @throws ConfigError when snapctl fails */
  async set(values: Readonly<Record<string, string>>): Promise<void> {
    await this.run(['set', ...Object.entries(values).map(([key, value]) => `${key}=${value}`)]);
  }

  /** @throws ConfigError when snapctl fails */
  async restart(services: readonly string[], options: { reload?: boolean } = {}): Promise<void> {
    await this.run(['restart', ...(options.reload === true ? ['--reload'] : []), ...services]);
  }

  private run(args: string[]): Promise<void> {
    const timeout = this.options.timeoutMs ?? SNAPCTL_TIMEOUT_MS;
    const command = `snapctl ${args.join(' ')}`;
    return new Promise((resolve, reject) => {
      execFile('snapctl', args, { env: this.options.env, timeout, encoding: 'utf8', shell: false }, (error, _stdout, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        const detail = error.code === 'ENOENT' ? 'snapctl was not found on PATH' : stderr.trim() || messageOf(error);
        reject(new ConfigError(`Cannot run "${command}": ${detail}`, { source: 'snapctl', cause: error }));
      });
    });
  }
}
