/**
 * deploy-hooks: run post-renew executables for other services (certbot's and lego's "deploy
 * hooks") and the reload command. No shell, an explicit environment, a timeout that kills the
 * whole process group, output to the log, a refusal of any program that another user could
 * change (any step of its path), and the checked file run from its descriptor. docs/hooks.md.
 */
export { HOOK_ENV_PREFIX, DEFAULT_HOOK_PATH, hookEnvironment, programEnvironment } from './hookEnvironment';
export type { HookCertificate, HookBaseEnvironment } from './hookEnvironment';
export { discoverHooks } from './discoverHooks';
export type { DeployHook, DiscoverHooksOptions } from './discoverHooks';
export { checkHook, openCheckedProgram } from './checkHook';
export type { CheckHookOptions, CheckedProgram } from './checkHook';
export { checkPrograms } from './checkPrograms';
export type { ProgramSources } from './checkPrograms';
export { runDeployHooks, runProgram, DEPLOY_HOOK_TIMEOUT_MS, HOOK_KILL_GRACE_MS } from './runDeployHooks';
export type { HookResult, RunDeployHooksOptions, RunProgramOptions } from './runDeployHooks';
export { MAX_HOOK_LINE_CHARS, MAX_HOOK_OUTPUT_BYTES } from './_output';
