/**
 * deploy-hooks: run post-renew executables for other services (certbot's and lego's "deploy
 * hooks"). No shell, an explicit environment, a timeout that kills the whole process group,
 * output to the log, and a refusal of hooks that another user could change. docs/hooks.md.
 */
export { HOOK_ENV_PREFIX, DEFAULT_HOOK_PATH, hookEnvironment } from './hookEnvironment';
export type { HookCertificate, HookBaseEnvironment } from './hookEnvironment';
export { discoverHooks } from './discoverHooks';
export type { DeployHook, DiscoverHooksOptions } from './discoverHooks';
export { checkHook } from './checkHook';
export type { CheckHookOptions } from './checkHook';
export { runDeployHooks, DEPLOY_HOOK_TIMEOUT_MS, HOOK_KILL_GRACE_MS } from './runDeployHooks';
export type { HookResult, RunDeployHooksOptions } from './runDeployHooks';
export { MAX_HOOK_LINE_CHARS, MAX_HOOK_OUTPUT_BYTES } from './_output';
