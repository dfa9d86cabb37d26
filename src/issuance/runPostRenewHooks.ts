import { join } from 'node:path';
import type { Logger } from '../log';
import {
  discoverHooks,
  hookEnvironment,
  runDeployHooks,
  type DeployHook,
  type HookBaseEnvironment,
} from '../deploy-hooks';
import type { CertificatePaths, StoredCertificate } from '../storage';
import type { HookOutcome } from './renewCertificates';

/** Where post-renew hooks come from, and how they run. */
export interface PostRenewHookOptions {
  /** `--home`; executables in `<home>/hooks/post-renew.d/` run first, in name order. */
  home: string;
  /** `--deploy-hook` commands, as argv, run after the directory's hooks. */
  commands: readonly (readonly string[])[];
  /** The parent variables a hook may inherit (PATH, SNAP, LANG, TZ…); main.ts passes process.env. */
  baseEnv: HookBaseEnvironment;
  /** Per-hook timeout. */
  timeoutMs: number;
  logger: Logger;
  /**
   * Where the files of the certificate are, for the hook's path variables (the file backend's
   * FileCertificateStore.paths; the bundle is this node's).
   */
  paths: CertificatePaths;
}

/** The directory of executable post-renew hooks under `home`. */
export function postRenewHooksDir(home: string): string {
  return join(home, 'hooks', 'post-renew.d');
}

/**
 * Runs every post-renew hook for a freshly renewed (and deployed) certificate. Never throws for a
 * failing hook: the outcome says so, and the caller records it and exits 1. A failing hook never
 * undoes the renewal or the HAProxy swap.
 */
export async function runPostRenewHooks(
  certificate: StoredCertificate,
  options: PostRenewHookOptions,
): Promise<HookOutcome[]> {
  const hooks: DeployHook[] = [
    ...(await discoverHooks(postRenewHooksDir(options.home), { logger: options.logger })),
    ...options.commands.map((argv) => ({ label: argv.join(' '), argv: [...argv] })),
  ];
  if (hooks.length === 0) return [];
  const { meta } = certificate;
  const { paths } = options;
  const env = hookEnvironment(
    {
      name: meta.name,
      domains: meta.domains,
      certPath: paths.cert,
      keyPath: paths.privkey,
      chainPath: paths.chain,
      fullchainPath: paths.fullchain,
      bundlePath: paths.bundle,
      serial: meta.serial,
      notAfter: new Date(meta.notAfter),
      lineageDir: paths.dir,
    },
    options.baseEnv,
  );
  const results = await runDeployHooks(hooks, { env, logger: options.logger, timeoutMs: options.timeoutMs });
  return results.map((r) => ({
    label: r.label,
    ok: r.ok,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    ...(r.error === undefined ? {} : { error: r.error }),
  }));
}
