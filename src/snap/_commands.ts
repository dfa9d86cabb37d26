import type { Config } from '../config';
import { AppError, ConfigError } from '../errors';
import { writeFileAtomic } from '../storage';
import { snapEmbedding, withEmbeddingDefaults } from './_embedding';
import { ensureSnapLayout, snapLayout, type SnapLayout } from './_layout';
import { WRITTEN_BACK_DEFAULTS } from './_options';
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
  /** The effective user id: lets-encrypt, like the reference deployment's, runs as root only. */
  uid: number;
  /**
   * Adopts a lego layout found in the layout's home, under the home's lock, without any ACME request,
   * listing the adopted bundles in the layout's crt-list (src/migration); does nothing quickly when there is none.
   */
  adoptLego(layout: SnapLayout, config: Config): Promise<void>;
  /** Whether the home holds lego's layout at all (src/migration hasLegoLayout()): a few readdirs. */
  hasLegoLayout(home: string): Promise<boolean>;
  /** Writes the crt-list of the certificates dropped into `bundlesDir` by hand (src/manual). */
  writeManualCrtList(home: string, target: string): Promise<{ written: number; skipped: ReadonlyArray<{ path: string; problem: string }> }>;
  /**
   * A checked reload of the running HAProxy through its master socket, resolved once its runtime socket
   * is answered by the new worker (src/haproxy reloadUntilRuntimeReady()).
   */
  reloadHaproxy(layout: SnapLayout): Promise<void>;
  /** Runs this CLI with `args` in a child process sharing stdio, e.g. `["issue"]`; resolves with its exit code. */
  runAcme(args: readonly string[]): Promise<number>;
}

/** Exit codes, as the CLI uses them: 2 for a bad setting, 1 for anything else. */
export const SNAP_EXIT = Object.freeze({ ok: 0, failure: 1, invalid: 2 });

/** The snap's HAProxy service, which configure asks snapd to reload; the renewer's name is the embedding's (renewer here). */
export const SNAP_SERVICES = Object.freeze({ haproxy: 'haproxy' });

async function readValid(deps: SnapCommandDeps, layout: SnapLayout): Promise<ValidSnapOptions | string[]> {
  const values = await deps.snapctl.get(ALL_SNAP_OPTION_KEYS);
  const checked = await validateSnapOptions(values, layout, snapEmbedding(deps.env));
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
    throw new ConfigError('Cannot find the snap\'s instance name: $SNAP_INSTANCE_NAME is not set; run this inside the snap', { source: 'SNAP_INSTANCE_NAME' });
  }
  return name;
}

const isUnset = (value: unknown): boolean => value === undefined || value === null || value === '';

/**
 * The configure hook: validates every option and changes nothing when one is bad (the hook fails, so snapd
 * rolls the `snap set` back). Otherwise writes back the default of every unset option Immich Distribution
 * writes back (http-enabled, https-enabled, both binds, acme-challenge-type), picks `acme-port` in
 * 34000-36000 when it is unset, and asks snapd, once the hook succeeds, to reload HAProxy (its
 * reload-command renders the new configuration and reloads without dropping a connection; a stopped
 * HAProxy is started) and restart the renewer.
 * @throws AppError when snapctl cannot run, or no port is free
 */
export async function configure(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  const embedding = snapEmbedding(deps.env);
  const name = instanceName(deps.env);
  const values = await deps.snapctl.get(ALL_SNAP_OPTION_KEYS);
  const checked = await validateSnapOptions(values, layout, embedding);
  if (!checked.ok) return reportInvalid(deps, checked.problems, 'apply the snap options; nothing was changed');
  const written = { ...WRITTEN_BACK_DEFAULTS, ...withEmbeddingDefaults({}, embedding) } as Record<string, string>;
  const defaults = Object.fromEntries(Object.entries(written).filter(([key]) => isUnset(values[key])));
  if (isUnset(values['acme-port'])) {
    const { wrapper } = checked.value;
    const exclude = [...wrapper.httpBind.ports, ...wrapper.httpsBind.ports].flatMap((range) =>
      range.last - range.first > 2000 ? [] : Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i),
    );
    const port = await pickAcmePort((p) => deps.isPortFree(p), { exclude });
    defaults['acme-port'] = String(port);
    deps.stdout.write(`Picked acme-port ${port}, free on 127.0.0.1\n`);
  }
  if (Object.keys(defaults).length > 0) await deps.snapctl.set(defaults);
  for (const warning of checked.value.warnings) deps.stdout.write(`Warning: ${warning}\n`);
  await deps.snapctl.restart([`${name}.${SNAP_SERVICES.haproxy}`], { reload: true });
  if (embedding.renewerService !== undefined) await deps.snapctl.restart([`${name}.${embedding.renewerService}`]);
  return SNAP_EXIT.ok;
}

/**
 * The install and post-refresh hooks: creates the layout (see ensureSnapLayout()) and adopts, in place,
 * the lego layout a lego-based release of the embedding snap left in the home (same account, same
 * certificates, no ACME order; lego's files stay as they are, so a `snap revert` still finds them).
 * With no lego files it only creates the layout. Options that are invalid at this point only postpone the
 * adoption (to the haproxy service's start): configure, which runs next, reports them.
 * @throws StorageError when a directory or the crt-list cannot be created
 */
export async function install(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  await ensureSnapLayout(layout);
  if (!(await deps.hasLegoLayout(layout.home))) return SNAP_EXIT.ok;
  const valid = await readValid(deps, layout);
  if (Array.isArray(valid)) {
    deps.stderr.write(`Not adopting lego's files yet: ${valid.join('; ')}\n`);
    return SNAP_EXIT.ok;
  }
  await adoptOrWarn(deps, layout, valid.config);
  return SNAP_EXIT.ok;
}

/**
 * Adopts lego's files, and when that fails (the lock held too long by another command, a full disk)
 * says so and goes on: a refresh must not fail, nor HAProxy stay down, because of it. lego's files are
 * untouched, the current certificates keep being served, and the next start or `acme renew` tries again.
 */
async function adoptOrWarn(deps: SnapCommandDeps, layout: SnapLayout, config: Config): Promise<void> {
  try {
    await deps.adoptLego(layout, config);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    deps.stderr.write(`Not adopting lego's files now: ${error.message}; the next start of HAProxy, or "acme renew", tries again\n`);
  }
}

/**
 * Everything HAProxy reads, made ready: the layout, lego's files adopted, the manual crt-list and
 * haproxy.cfg (0600, atomically). Returns the problems when an option is invalid (nothing is written).
 */
async function prepareHaproxy(deps: SnapCommandDeps, layout: SnapLayout): Promise<ValidSnapOptions | string[]> {
  await ensureSnapLayout(layout);
  const valid = await readValid(deps, layout);
  if (Array.isArray(valid)) return valid;
  await adoptOrWarn(deps, layout, valid.config);
  const manual = await deps.writeManualCrtList(layout.home, layout.manualCrtList);
  for (const { path, problem } of manual.skipped) deps.stderr.write(`Not serving the certificate ${JSON.stringify(path)}: ${problem}\n`);
  const text = renderSnapHaproxyConfig({
    wrapper: valid.wrapper,
    responder: valid.config.httpAddress,
    challengeType: valid.config.challengeType,
    paths: layout,
    embedding: snapEmbedding(deps.env),
  });
  await writeFileAtomic(layout.haproxyConfig, text, { mode: 0o600 });
  deps.stdout.write(`Wrote ${JSON.stringify(layout.haproxyConfig)}\n`);
  return valid;
}

/**
 * The haproxy service's first step: see prepareHaproxy(); the wrapper then execs HAProxy on the file.
 * A refresh may come from a revision that had no layout, or from a lego-based one: both are handled here too.
 * @throws AppError when snapctl or the file system fails
 */
export async function writeHaproxyConfig(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  const valid = await prepareHaproxy(deps, layout);
  if (Array.isArray(valid)) return reportInvalid(deps, valid, `write ${JSON.stringify(layout.haproxyConfig)}`);
  return SNAP_EXIT.ok;
}

/**
 * The haproxy service's reload-command (`snapctl restart --reload`, `snap restart --reload`): renders the
 * configuration again and reloads the running HAProxy through its master socket, checked: the old workers
 * finish their connections, none is dropped, and a rejected configuration leaves them serving.
 * @throws AppError when the reload fails or cannot be confirmed
 */
export async function reloadHaproxy(deps: SnapCommandDeps): Promise<number> {
  const layout = snapLayout(deps.env);
  const valid = await prepareHaproxy(deps, layout);
  if (Array.isArray(valid)) return reportInvalid(deps, valid, 'reload HAProxy');
  await deps.reloadHaproxy(layout);
  deps.stdout.write('HAProxy reloaded\n');
  return SNAP_EXIT.ok;
}

/** The problems that stop lets-encrypt before any change: what the reference deployment checks, and more. */
function letsEncryptProblems(values: Readonly<Record<string, unknown>>, valid: ValidSnapOptions, name: string): string[] {
  const problems: string[] = [];
  if (isUnset(values['acme-domain'])) problems.push(`Set the domain first: sudo snap set ${name} acme-domain="example.com"`);
  if (isUnset(values['acme-email'])) {
    problems.push(`Set an email address first, for the Let's Encrypt account: sudo snap set ${name} acme-email="user@example.com"`);
  }
  if (valid.config.challengeType === 'http-01' && !valid.wrapper.httpEnabled) {
    problems.push(
      `Port 80 is off (http-enabled=false), and the CA validates acme-challenge-type=http there: ` +
        `sudo snap set ${name} acme-challenge-type=tls (validated on the HTTPS port), or http-enabled=true`,
    );
  }
  return problems;
}

/**
 * The `lets-encrypt` app: what the reference deployment's command does (root only; needs acme-domain and
 * acme-email; issues; HTTPS on), without a restart. When HTTPS is off it turns it on first and reloads
 * HAProxy (the HTTPS frontend starts with no certificate, refusing handshakes until the new one is
 * hot-loaded), then runs `acme issue`, which loads the certificate into the running HAProxy. When the
 * issue fails, https-enabled is put back and HAProxy reloaded again, so nothing is left half-done.
 * @throws AppError when snapctl, the file system or a reload fails
 */
export async function letsEncrypt(deps: SnapCommandDeps): Promise<number> {
  const name = instanceName(deps.env);
  if (deps.uid !== 0) {
    deps.stderr.write(`Run this command as root: sudo ${name}.lets-encrypt\n`);
    return SNAP_EXIT.failure;
  }
  const layout = snapLayout(deps.env);
  const values = await deps.snapctl.get(ALL_SNAP_OPTION_KEYS);
  const checked = await validateSnapOptions(values, layout, snapEmbedding(deps.env));
  if (!checked.ok) return reportInvalid(deps, checked.problems, 'request a certificate');
  const problems = letsEncryptProblems(values, checked.value, name);
  if (problems.length > 0) {
    for (const problem of problems) deps.stderr.write(`${problem}\n`);
    return SNAP_EXIT.invalid;
  }
  if (checked.value.config.directoryUrl.includes('acme-staging')) deps.stdout.write('Using the Let\'s Encrypt staging environment\n');
  const turnOn = !checked.value.wrapper.httpsEnabled;
  if (turnOn) {
    await deps.snapctl.set({ 'https-enabled': 'true' });
    await reloadOrUndo(deps, layout);
  }
  const status = await deps.runAcme(['issue']);
  if (status === SNAP_EXIT.ok) {
    deps.stdout.write('HTTPS is on. Renewals hot-swap the certificate and never restart HAProxy.\n');
    return status;
  }
  if (turnOn) {
    await deps.snapctl.set({ 'https-enabled': 'false' });
    await reloadHaproxy(deps);
    deps.stderr.write('No certificate was issued, so https-enabled is false again\n');
  }
  return status;
}

/** Reloads after https-enabled was set to true; on failure sets it back before rethrowing. */
async function reloadOrUndo(deps: SnapCommandDeps, layout: SnapLayout): Promise<void> {
  try {
    const valid = await prepareHaproxy(deps, layout);
    if (Array.isArray(valid)) throw new ConfigError(`Cannot turn HTTPS on: ${valid.join('; ')}`, { source: 'snap option https-enabled' });
    await deps.reloadHaproxy(layout);
  } catch (error) {
    await deps.snapctl.set({ 'https-enabled': 'false' });
    // The file on disk must match the options again, for the next start; the running HAProxy never changed.
    await prepareHaproxy(deps, layout).catch(() => undefined);
    throw error;
  }
}
