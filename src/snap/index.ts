/**
 * The snap's own commands, run by its hooks, apps and haproxy wrapper as `acme __snap <command>`:
 * `install` and `post-refresh` (layout, adopt lego's files in place), `configure` (validate every option,
 * write defaults back, pick acme-port, reload HAProxy), `haproxy-config` (render
 * $SNAP_DATA/haproxy/haproxy.cfg before HAProxy starts), `haproxy-reload` (render, then a checked reload)
 * and `lets-encrypt` (issue and turn HTTPS on). Only main.ts runs them; it builds the real deps.
 */
import { AppError, ConfigError, messageOf } from '../errors';
import { configure, install, letsEncrypt, reloadHaproxy, SNAP_EXIT, writeHaproxyConfig, type SnapCommandDeps } from './_commands';

export {
  configure,
  install,
  letsEncrypt,
  reloadHaproxy,
  SNAP_EXIT,
  SNAP_SERVICES,
  writeHaproxyConfig,
  type SnapCommandDeps,
  type TextSink,
} from './_commands';
export { BIND_DETAIL, MAX_BIND_ADDRESSES, opensPort, parseBindText, sharesPort, type BindText, type PortRange } from './_bind';
export { EMBEDDING_VARIABLES, snapEmbedding, withEmbeddingDefaults, type SnapEmbedding } from './_embedding';
export { ensureSnapLayout, snapLayout, type SnapLayout } from './_layout';
export {
  DEFAULT_HTTP_BIND,
  DEFAULT_HTTPS_BIND,
  FIXED_OPTION_KEYS,
  fixedOptionProblems,
  parseWrapperOptions,
  portClashProblems,
  quoteValue,
  stagingProblems,
  WRAPPER_OPTION_KEYS,
  WRITTEN_BACK_DEFAULTS,
  wrapperOptionsSchema,
  type Checked,
  type PortClashOptions,
  type SocketAddress,
  type WrapperOptions,
} from './_options';
export { ACME_PORT_RANGE, isTcpPortFree, pickAcmePort, type PickAcmePortOptions } from './_ports';
export { renderSnapHaproxyConfig, type RenderSnapHaproxyOptions, type SnapHaproxyPaths } from './_render';
export { ExecSnapctl, type ExecSnapctlOptions, type Snapctl } from './_snapctl';
export { ALL_SNAP_OPTION_KEYS, renewalWarnings, validateSnapOptions, type ValidSnapOptions } from './_validate';

/** The hidden first argument that routes `acme` to these commands; not a commander verb, so `--help` never lists it. */
export const SNAP_COMMAND = '__snap';

const COMMANDS: Readonly<Record<string, (deps: SnapCommandDeps) => Promise<number>>> = Object.freeze({
  install,
  'post-refresh': install,
  configure,
  'haproxy-config': writeHaproxyConfig,
  'haproxy-reload': reloadHaproxy,
  'lets-encrypt': letsEncrypt,
});

/**
 * Runs one snap command (a key of COMMANDS) and returns its exit code:
 * 0 done, 2 an invalid option or setting, 1 any other failure. Messages go to `deps.stderr`, which snapd
 * shows to the user of `snap set` when the configure hook fails.
 */
export async function runSnapCommand(args: readonly string[], deps: SnapCommandDeps): Promise<number> {
  const name = args[0] ?? '';
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined || args.length !== 1) {
    deps.stderr.write(`Cannot run "acme ${SNAP_COMMAND} ${args.join(' ')}": expected one of ${Object.keys(COMMANDS).join(', ')}\n`);
    return SNAP_EXIT.invalid;
  }
  try {
    return await command(deps);
  } catch (error) {
    deps.stderr.write(`${error instanceof AppError ? error.message : `Cannot run the snap ${name} command: ${messageOf(error)}`}\n`);
    return error instanceof ConfigError ? SNAP_EXIT.invalid : SNAP_EXIT.failure;
  }
}
