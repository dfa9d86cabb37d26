import { ConfigError } from '../errors';
import { writeFileAtomic } from '../storage';
import { ensureSnapLayout, snapLayout, type SnapLayout } from './_layout';
import { pickAcmePort } from './_ports';
import { renderSnapHaproxyConfig } from './_render';
import type { Snapctl } from './_snapctl';
import { ALL_SNAP_OPTION_KEYS, validateSnapOptions, type ValidSnapOptions } from './_validate';

/** Something text can be written to: process.stdout in production. */
export interface TextSink {
  write(text: string): unknown;
}

/** Everything the snap commands touch besides files under the layout. main.ts builds the real ones. */
export interface SnapCommandDeps {
  /** SNAP_DATA, SNAP_COMMON and SNAP_INSTANCE_NAME are read from here; nothing else is. */
  env: Readonly<Record<string, string | undefined>>;
  stdout: TextSink;
  stderr: TextSink;
  snapctl: Snapctl;
  /** Whether a TCP listener could bind 127.0.0.1:port now. */
  isPortFree(port: number): Promise<boolean>;
}

/** Exit codes, as the CLI uses them: 2 for a bad setting, 1 for anything else. */
export const SNAP_EXIT = Object.freeze({ ok: 0, failure: 1, invalid: 2 });

/** The snap's services; configure restarts them so that they read the new options. */
export const SNAP_SERVICES = Object.freeze(['haproxy', 'renewer']);

async function readValid(deps: SnapCommandDeps, layout: SnapLayout): Promise<ValidSnapOptions | string[]> {
  const values = await deps.snapctl.get(ALL_SNAP_OPTION_KEYS);
  const checked = await validateSnapOptions(values, layout);
  return checked.ok ? checked.value : checked.problems;
}

function reportInvalid(deps: SnapCommandDeps, problems: readonly string[], action: string): number {
  for (const problem of problems) deps.stderr.write(`${problem}\n`);
  const count = problems.length === 1 ? '1 option is invalid' : `${problems.length} options are invalid`;
  deps.stderr.write(`Cannot ${action}: ${count}\n`);
  return SNAP_EXIT.invalid;
}

/** The instance name `snap set` and `snapctl restart` use (`haproxy-acme`, or `haproxy-acme_foo` for a parallel install). */
function instanceName(env: SnapCommandDeps['env']): string {
  const name = env.SNAP_INSTANCE_NAME ?? env.SNAP_NAME;
  if (name === undefined || name === '') {
    throw new ConfigError('Cannot restart the services: $SNAP_INSTANCE_NAME is not set; run this inside the snap', { source: 'SNAP_INSTANCE_NAME' });
  }
  return name;
}

/**
 * The configure hook: validates every option and changes nothing when one is bad (the hook fails, so snapd
 * rolls the `snap set` back); otherwise picks `acme-port` in 34000-36000 when it is unset, as the reference
 * deployment does, and asks snapd to restart the services once the hook succeeds.
 * @throws AppError when snapctl cannot run, or no port is free
 */
export async function configure(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  const values = await deps.snapctl.get(ALL_SNAP_OPTION_KEYS);
  const checked = await validateSnapOptions(values, layout);
  if (!checked.ok) return reportInvalid(deps, checked.problems, 'apply the snap options; nothing was changed');
  if (values['acme-port'] === undefined || values['acme-port'] === '') {
    const { wrapper } = checked.value;
    const port = await pickAcmePort((p) => deps.isPortFree(p), { exclude: [wrapper.httpBind.port, wrapper.httpsBind.port] });
    await deps.snapctl.set({ 'acme-port': String(port) });
    deps.stdout.write(`Picked acme-port ${port}, free on 127.0.0.1\n`);
  }
  const name = instanceName(deps.env);
  await deps.snapctl.restart(SNAP_SERVICES.map((service) => `${name}.${service}`));
  return SNAP_EXIT.ok;
}

/**
 * The install hook: creates the layout (see ensureSnapLayout()).
 * @throws StorageError when a directory or the crt-list cannot be created
 */
export async function install(deps: SnapCommandDeps): Promise<number> {
  await ensureSnapLayout(snapLayout(deps.env));
  return SNAP_EXIT.ok;
}

/**
 * The haproxy service's first step: makes sure the layout exists (a refresh may come from a revision that
 * had none), re-validates the options and writes `$SNAP_DATA/haproxy/haproxy.cfg` (0600, atomically); the
 * wrapper then execs HAProxy on it.
 * @throws AppError when snapctl or the file system fails
 */
export async function writeHaproxyConfig(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  await ensureSnapLayout(layout);
  const valid = await readValid(deps, layout);
  if (Array.isArray(valid)) return reportInvalid(deps, valid, `write ${JSON.stringify(layout.haproxyConfig)}`);
  const text = renderSnapHaproxyConfig({
    wrapper: valid.wrapper,
    responder: valid.config.httpAddress,
    paths: { adminSocket: layout.adminSocket, crtList: layout.crtList },
  });
  await writeFileAtomic(layout.haproxyConfig, text, { mode: 0o600 });
  deps.stdout.write(`Wrote ${JSON.stringify(layout.haproxyConfig)}\n`);
  return SNAP_EXIT.ok;
}
