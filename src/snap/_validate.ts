import { CONFIG_KEYS, loadConfig, type Config } from '../config';
import { ConfigError } from '../errors';
import { withEmbeddingDefaults, type SnapEmbedding } from './_embedding';
import type { SnapLayout } from './_layout';
import { fixedOptionProblems, parseWrapperOptions, stagingProblems, portClashProblems, WRAPPER_OPTION_KEYS, type Checked, type WrapperOptions } from './_options';
import { renderSnapHaproxyConfig } from './_render';

/** Every snap option the snap reads: the CLI's (from config/'s one table) and the wrappers'. */
export const ALL_SNAP_OPTION_KEYS: readonly string[] = Object.freeze([
  ...CONFIG_KEYS.flatMap((key) => (key.snap === undefined ? [] : [key.snap])),
  ...WRAPPER_OPTION_KEYS,
]);

/** Snap options once every one of them has been checked. */
export interface ValidSnapOptions {
  /** The CLI's configuration as the acme and renewer apps will see it (before their fixed environment). */
  readonly config: Config;
  readonly wrapper: WrapperOptions;
  /** Settings that work but defeat renewal, e.g. port 80 off while the CA validates there. */
  readonly warnings: readonly string[];
}

/** A ConfigError of several settings reads "Cannot load configuration: N settings are invalid" then one per line. */
function configProblems(error: ConfigError): string[] {
  const lines = error.message.split('\n');
  return lines.length > 1 ? lines.slice(1) : lines;
}

/**
 * Renders haproxy.cfg as the haproxy service will, so that configure refuses every value the renderer
 * would refuse at the next start (one rule, not two copies of it); returns the renderer's refusal, if any.
 */
function renderProblems(valid: ValidSnapOptions, layout: SnapLayout, embedding: SnapEmbedding): string[] {
  try {
    renderSnapHaproxyConfig({ wrapper: valid.wrapper, responder: valid.config.httpAddress, challengeType: valid.config.challengeType, paths: layout, embedding });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [error.message];
  }
}

/**
 * Combinations that pass but that no CA can validate (pure). Immich Distribution accepted them, so
 * refusing them would fail the configure hook that runs on refresh, and with it the refresh.
 */
export function renewalWarnings(config: Config, wrapper: WrapperOptions): string[] {
  if (config.challengeType !== 'http-01' || wrapper.httpEnabled) return [];
  return [
    'http-enabled is false, so the CA cannot reach the HTTP-01 challenge on port 80 and renewals will fail; ' +
      'set acme-challenge-type=tls to validate on the HTTPS port instead, or http-enabled=true',
  ];
}

/**
 * Checks every snap option with the CLI's own schema and file checks (config/'s loadConfig(), given the
 * values already read so snapctl runs once) plus the wrapper schema, the fixed options, port clashes and,
 * once all those pass, a trial rendering of haproxy.cfg. The embedding snap's default haproxy-backend
 * stands in for an unset one. Returns every problem, one line each, naming the option and its value.
 * @throws AppError other than ConfigError, e.g. when a file check cannot run at all
 */
export async function validateSnapOptions(
  given: Readonly<Record<string, unknown>>,
  layout: SnapLayout,
  embedding: SnapEmbedding,
): Promise<Checked<ValidSnapOptions>> {
  const values = withEmbeddingDefaults(given, embedding);
  const problems = [...fixedOptionProblems(values), ...stagingProblems(values)];
  const wrapper = parseWrapperOptions(values);
  if (!wrapper.ok) problems.push(...wrapper.problems);
  let config: Config | undefined;
  try {
    // A set SNAP makes loadConfig() take snap options (here `values`); SNAP_COMMON gives the home default.
    // No ACME_* variable: every snap option must be checked, not shadowed by the apps' environment.
    config = await loadConfig({
      flags: {},
      env: { SNAP: 'snap', SNAP_COMMON: layout.common },
      // An acme-staging refused above is left out here, so that it is reported once.
      snapOptions: async () => (stagingProblems(values).length > 0 ? { ...values, 'acme-staging': undefined } : { ...values }),
      cwd: '/',
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...configProblems(error));
  }
  if (wrapper.ok && config !== undefined) {
    const responderPort = config.httpAddress.kind === 'tcp' ? config.httpAddress.port : undefined;
    const httpsBindForChallenges = config.challengeType === 'tls-alpn-01';
    problems.push(...portClashProblems(wrapper.value, { responderPort, acmePortValue: values['acme-port'], httpsBindForChallenges }));
  }
  if (problems.length > 0 || config === undefined || !wrapper.ok) return { ok: false, problems };
  const valid = { config, wrapper: wrapper.value, warnings: renewalWarnings(config, wrapper.value) };
  const refused = renderProblems(valid, layout, embedding);
  return refused.length > 0 ? { ok: false, problems: refused } : { ok: true, value: valid };
}
