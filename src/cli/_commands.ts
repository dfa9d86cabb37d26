import type { Command } from 'commander';
import type { CliDeps } from './_context';

/** Adds one command to the program; `argv` is the whole command line (the daemon re-uses it). */
export type RegisterCommand = (
  program: Command,
  deps: CliDeps,
  setExitCode: (code: number) => void,
  argv: readonly string[],
) => void;

interface CommandEntry {
  readonly name: string;
  /** Loads the command's module on demand: `acme daemon` must not load the ACME, HAProxy and storage stacks. */
  readonly load: () => Promise<RegisterCommand>;
}

/** Every command, in the order `acme --help` lists them. */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'issue', load: async () => (await import('./issue')).registerIssueCommand },
  { name: 'list', load: async () => (await import('./list')).registerListCommand },
  { name: 'renew', load: async () => (await import('./renew')).registerRenewCommand },
  { name: 'daemon', load: async () => (await import('./daemon')).registerDaemonCommand },
  { name: 'deploy', load: async () => (await import('./deploy')).registerDeployCommand },
  { name: 'sync', load: async () => (await import('./sync')).registerSyncCommand },
  { name: 'haproxy-config', load: async () => (await import('./haproxyConfig')).registerHaproxyConfigCommand },
  { name: 'revoke', load: async () => (await import('./revoke')).registerRevokeCommand },
  { name: 'remove', load: async () => (await import('./remove')).registerRemoveCommand },
  { name: 'account', load: async () => (await import('./account')).registerAccountCommand },
  { name: 'import', load: async () => (await import('./import')).registerImportCommand },
  { name: 'doctor', load: async () => (await import('./doctor')).registerDoctorCommand },
];

const VERSION_FLAGS: ReadonlySet<string> = new Set(['-V', '--version']);
const HELP_FLAGS: ReadonlySet<string> = new Set(['-h', '--help']);

/**
 * The commands to register for this command line (pure): only the named one when the first
 * operand names a command, so that a run loads just its own modules; none for `acme --version`
 * without a verb or help flag (commander prints the version before any command would run); every
 * one otherwise, so that `acme --help` lists them all and a typo gets commander's "did you mean"
 * suggestion.
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const verb = argv.find((arg) => !arg.startsWith('-'));
  const named = COMMANDS.filter((entry) => entry.name === verb);
  if (named.length === 1) return named;
  const versionOnly =
    verb === undefined && argv.some((arg) => VERSION_FLAGS.has(arg)) && !argv.some((arg) => HELP_FLAGS.has(arg));
  return versionOnly ? [] : COMMANDS;
}

/** Loads and registers the commands `commandsFor(argv)` picks, in table order. */
export async function registerCommands(
  program: Command,
  context: { deps: CliDeps; setExitCode: (code: number) => void; argv: readonly string[] },
): Promise<void> {
  const registers = await Promise.all(commandsFor(context.argv).map((entry) => entry.load()));
  for (const register of registers) register(program, context.deps, context.setExitCode, context.argv);
}
