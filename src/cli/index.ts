import { Command, CommanderError } from 'commander';
import { hideArgvSecrets } from './_argvSecrets';
import type { CliDeps } from './_context';
import { EXIT_BAD_INPUT, EXIT_OK } from './_errors';
import { registerCommands } from './_commands';

export type { CliDeps, Services } from './_context';
export { EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, presentError } from './_errors';

const OVERVIEW = `
haproxy-acme obtains Let's Encrypt certificates over HTTP-01 for a HAProxy front door, stores
them as HAProxy-ready PEM bundles (leaf, chain, key; mode 0600) under --home, and hot-swaps them
into the running HAProxy through its runtime socket (--haproxy-socket), with no reload.

HAProxy must route /.well-known/acme-challenge/ to the responder (default 127.0.0.1:34000).
Every flag also has an environment variable, and under snapd a snap option: flags win over
the environment, which wins over snap options. See docs/configuration.md.

Exit codes: 0 success, 1 the operation failed, 2 bad input or configuration.

Examples:
  $ acme issue -d photos.example.com --email admin@example.com
  $ acme list --json
  $ acme renew --haproxy-socket /run/haproxy/admin.sock
  $ acme daemon --haproxy-socket /run/haproxy/admin.sock
  $ acme deploy --haproxy-socket /run/haproxy/admin.sock
  $ acme haproxy-config
  $ acme revoke --name photos.example.com --reason superseded
  $ acme remove --name photos.example.com --haproxy-socket /run/haproxy/admin.sock
  $ acme account show
  $ acme doctor --haproxy-socket /run/haproxy/admin.sock --preflight http://127.0.0.1:80
  $ acme import lego --path /var/snap/immich-distribution/common/lego --dry-run
  $ acme issue --help
`;

/** Parses argv and runs one command; resolves to the process exit code. Never calls process.exit. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  const hideSecrets = hideArgvSecrets(argv);
  const program = new Command('acme')
    .description("Let's Encrypt certificates for HAProxy, issued over HTTP-01 and stored as PEM bundles")
    .version(deps.version, '-V, --version', 'print the version')
    .addHelpText('after', OVERVIEW)
    .showHelpAfterError('(run "acme --help" or "acme <command> --help" for usage)')
    .configureOutput({
      // Commander echoes misplaced arguments, which may be an --eab-hmac-key value (see _argvSecrets.ts).
      writeOut: (text) => deps.stdout.write(hideSecrets(text)),
      writeErr: (text) => deps.stderr.write(hideSecrets(text)),
    })
    .exitOverride();
  await registerCommands(program, { deps, setExitCode, argv });
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every usage mistake (unknown flag, missing value) is bad input.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    throw error;
  }
  return exitCode;
}
