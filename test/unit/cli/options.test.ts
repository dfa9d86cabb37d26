import { PassThrough } from 'node:stream';
import { EXIT_BAD_INPUT, runCli, type CliDeps } from '../../../src/cli';
import { commandsFor } from '../../../src/cli/_commands';
import { configOption, flagHelpOf, toRawFlags } from '../../../src/cli/_options';
import { fixedClock } from '../../../src/clock';
import { CONFIG_KEYS, type ConfigField, type ConfigKeyInfo, type RawFlags } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { createLogger } from '../../../src/log';

/** Every command line that runs a command, as a script would write it. */
const VERBS: readonly (readonly string[])[] = [
  ['issue'],
  ['list'],
  ['renew'],
  ['daemon'],
  ['deploy'],
  ['haproxy-config'],
  ['revoke'],
  ['remove'],
  ['account', 'show'],
  ['account', 'rollover'],
  ['import', 'lego'],
  ['doctor'],
  ['sync'],
];

/** One value per setting that has a flag, as RawFlags holds it. */
const SAMPLE: Required<RawFlags> = {
  home: '/srv/acme',
  storage: 'postgres://acme@db.example:5432/acme',
  http01Mode: 'shared',
  syncInterval: '5m',
  lease: '45s',
  node: 'edge-1',
  directory: 'https://acme.example/directory',
  caBundle: '/etc/acme/ca.pem',
  email: 'admin@example.com',
  eabKid: 'kid-1',
  eabHmacKey: 'bm90LWEtcmVhbC1rZXktb25seS1mb3ItZmxhZ3M',
  requestTimeout: '5000',
  timeout: '10m',
  lockTimeout: '1000',
  metricsFile: '/var/lib/node_exporter/acme.prom',
  localPorts: ['3001,3002'],
  domain: ['a.example.com', 'b.example.com'],
  name: 'a.example.com',
  keyType: 'rsa2048',
  profile: 'tlsserver',
  challengeType: 'tls-alpn-01',
  httpAddress: '127.0.0.2',
  httpPort: '8402',
  preflight: 'off',
  deployHook: ['/usr/local/bin/notify a,b', '/bin/true'],
  hookTimeout: '2000',
  haproxySocket: ['/run/haproxy/admin.sock', 'ipv4@127.0.0.1:9999'],
  haproxyCrtList: '/etc/haproxy/crt-list.txt',
  haproxyMasterSocket: '/run/haproxy/master.sock',
  haproxyReloadCmd: 'snapctl restart x.haproxy',
  haproxyAllowRemote: true,
  haproxyBufsize: '32768',
  json: true,
  verbose: true,
  quiet: true,
};

const FLAGGED = CONFIG_KEYS.filter((key): key is ConfigKeyInfo & { flag: string } => key.flag !== undefined);

/** SAMPLE written as flags: a list value once per item, a boolean without a value. */
function sampleArgv(): string[] {
  return FLAGGED.flatMap((key) => {
    const value = SAMPLE[key.field as keyof RawFlags];
    if (value === true) return [key.flag];
    return (Array.isArray(value) ? value : [value as string]).flatMap((item) => [key.flag, item]);
  });
}

/** Commands whose own repeatable --name selects certificates; they never hand it to the configuration. */
const SELECTING_NAME = new Set(['renew', 'deploy', 'daemon', 'sync']);

interface Run {
  code: number;
  /** What the command asked the configuration to resolve; undefined when it never got that far. */
  flags: RawFlags | undefined;
  /** The command line of each child the daemon started. */
  children: string[][];
  stderr: string;
}

/** Runs the CLI up to loading the configuration, which stops it with a ConfigError (exit 2): nothing else runs. */
async function runUntilConfig(argv: string[]): Promise<Run> {
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  err.on('data', (chunk: Buffer) => chunks.push(chunk));
  const run: Run = { code: -1, flags: undefined, children: [], stderr: '' };
  const deps: CliDeps = {
    env: {},
    cwd: '/',
    stdout: new PassThrough(),
    stderr: err,
    stderrIsTty: false,
    clock: fixedClock(new Date('2026-11-27T00:00:00Z')),
    version: '9.9.9',
    createLogger: (options) => createLogger({ ...options, format: 'json', stream: new PassThrough() }),
    loadConfig: async (flags) => {
      run.flags = flags;
      throw new ConfigError('Stopped by the test after the flags were parsed');
    },
    createServices: () => {
      throw new Error('no services in this test');
    },
    waitForShutdown: () => new Promise(() => undefined),
    runSelf: async (args) => {
      run.children.push(args);
      return EXIT_BAD_INPUT;
    },
  };
  run.code = await runCli(argv, deps);
  run.stderr = Buffer.concat(chunks).toString('utf8');
  return run;
}

describe('CONFIG_KEYS flags', () => {
  test('the VERBS list covers every command acme registers', () => {
    expect([...new Set(VERBS.map((verb) => verb[0]))].sort()).toEqual(
      commandsFor([])
        .map((e) => e.name)
        .sort(),
    );
  });

  test('SAMPLE has a value for every setting with a flag, and for nothing else', () => {
    expect(Object.keys(SAMPLE).sort()).toEqual(FLAGGED.map((key) => key.field).sort());
  });

  test.each(FLAGGED.map((key) => [key.flag, key] as const))(
    'configOption(%s) stores its value under the setting name, as toRawFlags() reads it',
    (_flag, key) => {
      expect(configOption(key).attributeName()).toBe(key.field);
    },
  );

  test.each(VERBS.map((verb) => [verb.join(' ')]))(
    'acme %s accepts every CONFIG_KEYS flag and hands each to the configuration',
    async (verbText) => {
      const verb = verbText.split(' ');
      const run = await runUntilConfig([...verb, ...sampleArgv()]);
      expect(run.stderr).not.toContain('unknown option');
      expect(run.code).toBe(EXIT_BAD_INPUT);
      // The daemon's parent never loads the configuration: each pass is a child `acme renew` with its flags.
      expect(run.children.map((args) => args[0])).toEqual(verb[0] === 'daemon' ? ['renew'] : []);
      const flags = verb[0] === 'daemon' ? (await runUntilConfig(run.children[0] ?? [])).flags : run.flags;
      const { name, ...rest } = SAMPLE;
      expect(flags).toEqual(SELECTING_NAME.has(verb[0] as string) ? rest : { ...rest, name });
    },
  );

  test.each(VERBS.map((verb) => [verb.join(' ')]))(
    'acme %s --help lists every CONFIG_KEYS flag and keeps its examples',
    async (verbText) => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      const deps = { stdout: out, stderr: new PassThrough(), env: {}, version: '9.9.9' } as unknown as CliDeps;
      await runCli([...verbText.split(' '), '--help'], deps);
      const help = Buffer.concat(chunks).toString('utf8');
      for (const flag of FLAGGED.map((key) => key.flag))
        expect(help).toMatch(new RegExp(`^ +(-[a-z], )?${flag}\\b`, 'm'));
      expect(help).toContain('\nExamples:\n');
    },
  );
});

describe('toRawFlags()', () => {
  test('toRawFlags() keeps the settings of CONFIG_KEYS and drops command-only options', () => {
    expect(toRawFlags({ ...SAMPLE, dryRun: true, schedule: '0 * * * *', offline: true })).toEqual(SAMPLE);
  });

  test.each<[string, Record<string, unknown>, RawFlags]>([
    ['a boolean flag that is not true', { json: false, haproxyAllowRemote: 'yes' }, {}],
    ['a list that is not an array', { domain: 'a.example.com', deployHook: '/bin/true' }, {}],
    ['a text setting given as a list (a selecting --name)', { name: ['a', 'b'] }, {}],
    ['nothing given', {}, {}],
  ])('toRawFlags() drops %s', (_label, options, expected) => {
    expect(toRawFlags(options)).toEqual(expected);
  });
});

describe('flagHelpOf()', () => {
  const keyOf = (field: ConfigField): ConfigKeyInfo => CONFIG_KEYS.find((key) => key.field === field) as ConfigKeyInfo;

  test.each<[ConfigField, string]>([
    [
      'node',
      "this node's name when several HAProxy nodes share one certificate store; deploy state is kept per node (env ACME_NODE; default the host name)",
    ],
    [
      'httpPort',
      'port of the challenge responder; wins over a port in the address from the same or a lower-priority source (env ACME_PORT; default 34000)',
    ],
    ['email', 'contact email for a new ACME account (env ACME_EMAIL)'],
    ['json', 'print a machine-readable JSON document on stdout'],
    [
      'eabKid',
      'external account binding key ID, for CAs that require one (RFC 8555 §7.3.4); give it with --eab-hmac-key (env ACME_EAB_KID)',
    ],
  ])('flagHelpOf(%s) is the help text without Markdown, then the variable and the default', (field, expected) => {
    expect(flagHelpOf(keyOf(field))).toBe(expected);
  });
});
