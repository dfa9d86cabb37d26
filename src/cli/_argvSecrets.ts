/**
 * Secrets given on the command line. Commander echoes arguments it cannot place ("unknown option
 * '-Zm9v…'"), and a flag that lacks its value swallows the next one: in `--home --eab-hmac-key -Zm9v…`
 * the HMAC key becomes an unknown option and would be printed.
 */

/** Flags whose value is a secret. */
const SECRET_FLAGS: readonly string[] = ['--eab-hmac-key', '--storage'];
/** Shorter values cannot be an HMAC key (22 base64url characters at least) and hiding them would mangle text. */
const MIN_SECRET_CHARS = 16;

/** The secret values in `argv` (pure): the argument after a secret flag, or the part after `=`. */
export function secretArguments(argv: readonly string[]): string[] {
  const secrets: string[] = [];
  argv.forEach((arg, index) => {
    for (const flag of SECRET_FLAGS) {
      if (arg === flag && argv[index + 1] !== undefined) secrets.push(argv[index + 1] as string);
      if (arg.startsWith(`${flag}=`)) secrets.push(arg.slice(flag.length + 1));
    }
  });
  return secrets.filter((secret) => secret.length >= MIN_SECRET_CHARS);
}

/** Returns a function that replaces every secret of `argv` in a text with `[redacted]` (pure). */
export function hideArgvSecrets(argv: readonly string[]): (text: string) => string {
  const secrets = secretArguments(argv);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
