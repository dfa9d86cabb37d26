import { Command, Option } from 'commander';
import type { RawFlags } from '../config';

/** commander's accumulator for a repeatable flag: every value given, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--lock-timeout`: every command that takes the home's lock accepts it. */
export function addLockTimeoutOption(command: Command): Command {
  return command.option(
    '--lock-timeout <ms>',
    'how long to wait for another acme command holding the lock (env ACME_LOCK_TIMEOUT_MS; default 60000)',
  );
}

/** Flags every command accepts: where state lives, which CA, how to talk. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--home <dir>', 'state directory (env ACME_HOME; default $SNAP_COMMON/acme, else /var/lib/haproxy-acme)')
    .option(
      '--node <id>',
      "this node's name when several HAProxy nodes share one certificate store; deploy state is kept per node (env ACME_NODE; default the host name)",
    )
    .option('--directory <url>', 'ACME directory URL, or letsencrypt | letsencrypt-staging (env ACME_DIRECTORY)')
    .option(
      '--ca-bundle <file>',
      "extra PEM roots to trust for the CA's TLS, added to the system ones (env ACME_CA_BUNDLE)",
    )
    .option('--request-timeout <ms>', 'timeout of each request to the CA (env ACME_REQUEST_TIMEOUT_MS; default 30000)')
    .option(
      '--timeout <duration>',
      'deadline of the whole command, e.g. 90s, 30m, 2h; past it the command stops with exit 1 (env ACME_TIMEOUT; default 30m)',
    )
    .option(
      '--metrics-file <path>',
      'node-exporter textfile to replace after the command, e.g. /var/lib/node_exporter/acme.prom (env ACME_METRICS_FILE)',
    )
    .option('--json', 'print a machine-readable JSON document on stdout')
    .option('-v, --verbose', "log debug details, including acme-client's own messages")
    .option('-q, --quiet', 'log only warnings and errors');
}

/**
 * Flags that describe the certificate to obtain and how HTTP-01 is answered. `renew` and `daemon`
 * leave out `--name` (they have their own, repeatable, to select certificates).
 */
export function addIssueOptions(command: Command, options: { withName?: boolean } = {}): Command {
  command.option(
    '-d, --domain <name>',
    'DNS name or IP address to include; repeat it or give a comma list (env ACME_DOMAIN)',
    collect,
  );
  if (options.withName !== false)
    command.option('--name <name>', 'certificate name, used for file names (default: the first domain)');
  return command
    .option(
      '--profile <name>',
      "ACME profile, e.g. tlsserver or shortlived, checked against the CA's list (env ACME_PROFILE)",
    )
    .option(
      '--deploy-hook <cmd>',
      'command run after each renewal, without a shell; repeat for several (env ACME_DEPLOY_HOOK)',
      collect,
    )
    .option('--hook-timeout <ms>', 'timeout of each deploy hook (env ACME_HOOK_TIMEOUT_MS; default 120000)')
    .option('--eab-kid <id>', 'external account binding key ID, for CAs that require one (env ACME_EAB_KID)')
    .option(
      '--eab-hmac-key <key>',
      'external account binding HMAC key, base64url (env ACME_EAB_HMAC_KEY; prefer the env, flags show in ps)',
    )
    .option('--email <address>', 'contact address for a new ACME account (env ACME_EMAIL)')
    .addOption(
      new Option('--key-type <type>', 'certificate key (env ACME_KEY_TYPE; default ec256)').choices([
        'ec256',
        'ec384',
        'rsa2048',
        'rsa3072',
        'rsa4096',
      ]),
    )
    .option(
      '--challenge-type <type>',
      "http-01, or tls-alpn-01 answered through HAProxy's port 443 (env ACME_CHALLENGE_TYPE; default http-01)",
    )
    .option(
      '--http-address <addr>',
      'where the HTTP-01 responder listens: HOST[:PORT] or unix:/path (env ACME_HTTP_ADDRESS; default 127.0.0.1)',
    )
    .option('--http-port <port>', 'port of the HTTP-01 responder (env ACME_PORT; default 34000)')
    .option(
      '--preflight <url|off>',
      "check the challenge route through this URL (HAProxy's HTTP frontend) before the CA does (env ACME_PREFLIGHT; default off)",
    );
}

/** Flags that say how to reach HAProxy and how long to wait for the home lock. */
export function addHaproxyOptions(command: Command): Command {
  command
    .option(
      '--haproxy-socket <addr>',
      'HAProxy runtime socket (level admin): /path, unix@/path, ipv4@127.0.0.1:9999; repeat for several HAProxy (env ACME_HAPROXY_SOCKET)',
      collect,
    )
    .option(
      '--haproxy-crt-list <path>',
      'crt-list file (or crt directory) of the HTTPS bind; new certificates are added to it (env ACME_HAPROXY_CRT_LIST)',
    )
    .option(
      '--haproxy-master-socket <addr>',
      'master CLI socket for a checked reload when the runtime API cannot deliver (env ACME_HAPROXY_MASTER_SOCKET)',
    )
    .option(
      '--haproxy-reload-cmd <cmd>',
      'last-resort reload command, run without a shell, e.g. "snapctl restart mysnap.haproxy" (env ACME_HAPROXY_RELOAD_CMD)',
    )
    .option(
      '--haproxy-allow-remote',
      'accept a TCP runtime socket on a non-loopback address (it has no authentication)',
    )
    .option(
      '--haproxy-bufsize <bytes>',
      "HAProxy's tune.bufsize, the largest payload the socket takes (env ACME_HAPROXY_BUFSIZE; default 16384)",
    );
  return addLockTimeoutOption(command);
}

/** Converts commander's parsed options into the config module's raw flags. */
export function toRawFlags(options: Record<string, unknown>): RawFlags {
  const text = (key: string): string | undefined =>
    typeof options[key] === 'string' ? (options[key] as string) : undefined;
  const flag = (key: string): boolean | undefined => (options[key] === true ? true : undefined);
  return {
    home: text('home'),
    node: text('node'),
    directory: text('directory'),
    caBundle: text('caBundle'),
    requestTimeout: text('requestTimeout'),
    timeout: text('timeout'),
    email: text('email'),
    domain: Array.isArray(options.domain) ? (options.domain as string[]) : undefined,
    name: text('name'),
    keyType: text('keyType'),
    challengeType: text('challengeType'),
    httpAddress: text('httpAddress'),
    httpPort: text('httpPort'),
    preflight: text('preflight'),
    haproxySocket: Array.isArray(options.haproxySocket) ? (options.haproxySocket as string[]) : undefined,
    haproxyCrtList: text('haproxyCrtList'),
    haproxyMasterSocket: text('haproxyMasterSocket'),
    haproxyReloadCmd: text('haproxyReloadCmd'),
    haproxyAllowRemote: flag('haproxyAllowRemote'),
    haproxyBufsize: text('haproxyBufsize'),
    lockTimeout: text('lockTimeout'),
    profile: text('profile'),
    eabKid: text('eabKid'),
    eabHmacKey: text('eabHmacKey'),
    deployHook: Array.isArray(options.deployHook) ? (options.deployHook as string[]) : undefined,
    hookTimeout: text('hookTimeout'),
    metricsFile: text('metricsFile'),
    localPorts: Array.isArray(options.localPorts) ? (options.localPorts as string[]) : undefined,
    json: flag('json'),
    verbose: flag('verbose'),
    quiet: flag('quiet'),
  };
}
