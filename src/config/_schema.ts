import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { verbosityOf } from '../log';
import { splitCommand, splitHookCommand } from './_command';
import { checkDomain, checkName, quote, type Check } from './_domain';
import { checkDuration } from './_duration';
import { checkEabHmacKey, checkEabKid } from './_eab';
import { checkStorage } from './_storage';
import {
  checkBoolean,
  checkDirectoryUrl,
  checkHttpAddress,
  checkNodeId,
  checkPort,
  checkPreflightUrl,
  checkProfile,
  checkRuntimeSocket,
  isLoopbackHost,
  type ParsedAddress,
} from './_fields';
import { crtListPathProblem, homeProblem } from './_haproxyPaths';
import { defaultNameOf } from './_ip';
import {
  DEFAULT_LOCAL_PORTS,
  HTTP01_MODES,
  KEY_TYPES,
  LETSENCRYPT_DIRECTORY_URL,
  LETSENCRYPT_STAGING_DIRECTORY_URL,
  MAX_DOMAINS,
} from './_defaults';
import type {
  ChallengeType,
  Config,
  ExternalAccountBinding,
  HaproxyConfig,
  HttpAddress,
  KeyType,
  RuntimeSocketAddress,
} from './_types';

/** Issues whose message is already a whole sentence (not "Invalid <source> <value>: …") carry this param. */
export const FULL_MESSAGE = 'fullMessage';

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Flags and environment give strings; snap options may also be JSON numbers or booleans. */
const text = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)], {
  error: 'expected text, a number or true/false',
});

/** Runs one of our pure checks inside the schema, turning its detail into a zod issue. */
function checked<T>(check: (value: string) => Check<T>) {
  return text.transform((value, ctx): T => {
    const result = check(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.detail, input: value });
    return z.NEVER;
  });
}

const path = (what: string) =>
  text.pipe(
    z
      .string()
      .refine((s) => !s.includes('\0'), { error: `the ${what} path contains a NUL character`, abort: true })
      .trim()
      .min(1, { error: `expected a ${what} path` }),
  );

const email = text.pipe(
  z
    .string()
    .refine((s) => !CONTROL_CHARS.test(s), { error: 'the address contains a control character', abort: true })
    .trim()
    .max(254, { error: 'the address is longer than 254 characters', abort: true })
    .pipe(z.email({ error: 'expected an email address such as "admin@example.com"' })),
);

const domains = z
  .array(checked(checkDomain))
  .transform((names) => [...new Set(names)])
  .pipe(
    z.array(z.string()).max(MAX_DOMAINS, {
      error: (issue) =>
        `expected at most ${MAX_DOMAINS} distinct names (Let's Encrypt's limit), got ${(issue.input as unknown[]).length}`,
    }),
  );

const keyType = text.pipe(
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(KEY_TYPES as [KeyType, ...KeyType[]], { error: `expected one of ${KEY_TYPES.join(', ')}` })),
);

/**
 * The challenge type: `http-01` or `tls-alpn-01`, case-insensitive, and the short forms `http` and
 * `tls` that Immich Distribution's snap option uses. A blank environment variable or snap option is
 * unset (see _merge.ts); a blank flag is refused, like every other flag.
 */
const CHALLENGE_TYPES: ReadonlyMap<string, ChallengeType> = new Map([
  ['http-01', 'http-01'],
  ['http', 'http-01'],
  ['tls-alpn-01', 'tls-alpn-01'],
  ['tls', 'tls-alpn-01'],
]);
const challengeType = text.pipe(
  z
    .string()
    .trim()
    .toLowerCase()
    .transform((value, ctx): ChallengeType => {
      const type = CHALLENGE_TYPES.get(value);
      if (type !== undefined) return type;
      ctx.issues.push({ code: 'custom', message: 'expected http-01 or tls-alpn-01 (or http or tls)', input: value });
      return z.NEVER;
    }),
);

/** A whole number written with digits only ("1e3", "-1" and "80.5" are refused); `detail` covers every failure. */
function wholeNumber(min: number, max: number, detail: string) {
  return text.pipe(
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,9}$/, { error: detail })
      .transform(Number)
      .pipe(z.number().min(min, { error: detail }).max(max, { error: detail })),
  );
}

/** A TCP address takes --http-port when that ranks at least as high as the address, or has no port. */
function httpAddressOf(address: ParsedAddress, httpPort: number, httpPortWins: boolean): HttpAddress {
  if (address.kind === 'unix') return address;
  return {
    kind: 'tcp',
    host: address.host,
    port: httpPortWins || address.port === undefined ? httpPort : address.port,
  };
}

/** Drops repeated sockets (same path, or same host and port), keeping the first. */
function uniqueSockets(sockets: readonly RuntimeSocketAddress[]): RuntimeSocketAddress[] {
  const byKey = new Map<string, RuntimeSocketAddress>();
  for (const socket of sockets) {
    const key = socket.kind === 'unix' ? `unix ${socket.path}` : `tcp ${socket.host} ${socket.port}`;
    if (!byKey.has(key)) byKey.set(key, socket);
  }
  return [...byKey.values()];
}

/** True for a parsed TCP socket on a non-loopback host; anything that failed to parse is left to its own error. */
function isRemote(socket: unknown): socket is { kind: 'tcp'; host: string } {
  if (typeof socket !== 'object' || socket === null) return false;
  const parsed = socket as RuntimeSocketAddress;
  return parsed.kind === 'tcp' && !isLoopbackHost(parsed.host);
}

const fields = z.object({
  cwd: z.string().refine(isAbsolute, { error: 'expected an absolute working directory' }),
  /** True when the http-port's source ranks at least as high as the address's (see resolveConfig). */
  httpPortWins: z.boolean(),
  /** How to turn on haproxy-allow-remote in the source kind that supplied each socket (see resolveConfig). */
  remoteHints: z.object({ haproxySocket: z.string(), haproxyMasterSocket: z.string() }),
  /** Label of the source that set each EAB half, for the both-or-neither message (see resolveConfig). */
  eabSources: z.object({ kid: z.string().optional(), hmacKey: z.string().optional() }),
  home: path('directory'),
  storage: checked(checkStorage),
  http01Mode: text.pipe(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(HTTP01_MODES, { error: `expected ${HTTP01_MODES.join(', ')}` })),
  ),
  syncInterval: checked(checkDuration(1000, 86_400_000)),
  lease: checked(checkDuration(3000, 600_000)),
  node: checked(checkNodeId),
  directory: checked(checkDirectoryUrl).optional(),
  staging: checked(checkBoolean),
  caBundle: path('CA bundle').optional(),
  email: email.optional(),
  domain: domains.optional(),
  name: checked(checkName).optional(),
  keyType,
  challengeType,
  httpAddress: checked(checkHttpAddress),
  httpPort: checked(checkPort),
  preflight: checked(checkPreflightUrl),
  requestTimeout: wholeNumber(1000, 600000, 'expected a whole number of milliseconds from 1000 to 600000'),
  timeout: checked(checkDuration(1000, 86_400_000)),
  haproxySocket: z.array(checked(checkRuntimeSocket)).optional(),
  haproxyCrtList: path('crt-list').optional(),
  haproxyMasterSocket: checked(checkRuntimeSocket).optional(),
  haproxyReloadCmd: checked(splitCommand).optional(),
  haproxyAllowRemote: checked(checkBoolean),
  haproxyBufsize: wholeNumber(1024, 1048576, 'expected a whole number of bytes from 1024 to 1048576'),
  lockTimeout: wholeNumber(0, 3600000, 'expected a whole number of milliseconds from 0 to 3600000'),
  profile: checked(checkProfile).optional(),
  deployHook: z.array(checked(splitHookCommand)).optional(),
  hookTimeout: wholeNumber(1000, 3600000, 'expected a whole number of milliseconds from 1000 to 3600000'),
  eabKid: checked(checkEabKid).optional(),
  eabHmacKey: checked(checkEabHmacKey).optional(),
  metricsFile: path('metrics file').optional(),
  localPorts: z.array(checked(checkPort)).optional(),
  json: z.boolean(),
  verbose: z.boolean(),
  quiet: z.boolean(),
});

/**
 * A TCP runtime or master socket has no authentication (HAProxy management guide: "This is never done by
 * default because this is dangerous"), so a non-loopback host needs haproxy-allow-remote.
 */
function checkRemoteSockets(v: z.output<typeof fields>, ctx: z.RefinementCtx<z.output<typeof fields>>): void {
  // When haproxy-allow-remote itself is invalid its error is enough; its value here is then not a boolean.
  if (v.haproxyAllowRemote !== false) return;
  const refuse = (what: string, at: PropertyKey[], socket: unknown, hint: string): void => {
    if (!isRemote(socket)) return;
    const message =
      `a TCP ${what} socket has no authentication, so only loopback addresses are accepted; ` +
      `${hint} to accept ${quote(socket.host)}`;
    ctx.addIssue({ code: 'custom', path: at, message, input: socket });
  };
  (v.haproxySocket ?? []).forEach((socket, i) =>
    refuse('runtime', ['haproxySocket', i], socket, v.remoteHints.haproxySocket),
  );
  refuse('master', ['haproxyMasterSocket'], v.haproxyMasterSocket, v.remoteHints.haproxyMasterSocket);
}

/** RFC 8555 §7.3.4 needs both halves; one without the other is a mistake to report, not to ignore. */
function checkEabPair(v: z.output<typeof fields>, ctx: z.RefinementCtx<z.output<typeof fields>>): void {
  const { kid, hmacKey } = v.eabSources;
  if ((kid === undefined) === (hmacKey === undefined)) return;
  const only = kid === undefined ? `the HMAC key is set (by ${hmacKey})` : `the key ID is set (by ${kid})`;
  ctx.addIssue({
    code: 'custom',
    path: [kid === undefined ? 'eabHmacKey' : 'eabKid'],
    message: `Cannot use external account binding: --eab-kid and --eab-hmac-key must be set together, but only ${only}`,
    params: { [FULL_MESSAGE]: true },
    input: undefined,
  });
}

/** `shared` tokens need a store every node reads; `stateless` answers HTTP-01 only, from HAProxy. */
function checkHttp01Mode(v: z.output<typeof fields>, ctx: z.RefinementCtx<z.output<typeof fields>>): void {
  if (v.http01Mode === 'shared' && typeof v.storage === 'object' && v.storage.kind === 'file') {
    ctx.addIssue({
      code: 'custom',
      path: ['http01Mode'],
      message:
        'Cannot use --http01-mode shared with the file store: shared tokens live in a store every node reads; set --storage postgres://… or use --http01-mode stateless',
      params: { [FULL_MESSAGE]: true },
      input: undefined,
    });
  }
  if (v.http01Mode !== 'local' && v.challengeType === 'tls-alpn-01') {
    ctx.addIssue({
      code: 'custom',
      path: ['http01Mode'],
      message: `Cannot use --http01-mode ${v.http01Mode} with --challenge-type tls-alpn-01: that mode answers HTTP-01 only; use --challenge-type http-01`,
      params: { [FULL_MESSAGE]: true },
      input: undefined,
    });
  }
}

type Fields = z.output<typeof fields>;

/**
 * A check of a path field once resolved against cwd (home, crt-list: see _haproxyPaths.ts). It runs even
 * when other fields failed, but not when this field or cwd did, so that a bad value gets one message.
 */
function resolvedPath(field: 'home' | 'haproxyCrtList', problemOf: (cwd: string, path: string) => string | undefined) {
  const check = (v: Fields, ctx: z.RefinementCtx<Fields>): void => {
    const value = v[field];
    const message = value === undefined ? undefined : problemOf(v.cwd, value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', path: [field], message, input: value });
  };
  const when = (payload: z.core.ParsePayload): boolean =>
    !payload.issues.some((issue) => issue.path?.[0] === field || issue.path?.[0] === 'cwd');
  return [check, { when }] as const;
}

/** Both halves or nothing; checkEabPair() has reported a half already. */
function eabOf(v: z.output<typeof fields>): ExternalAccountBinding | undefined {
  return v.eabKid === undefined || v.eabHmacKey === undefined ? undefined : { kid: v.eabKid, hmacKey: v.eabHmacKey };
}

function haproxyOf(v: z.output<typeof fields>): HaproxyConfig {
  return {
    sockets: uniqueSockets(v.haproxySocket ?? []),
    crtList: v.haproxyCrtList === undefined ? undefined : resolve(v.cwd, v.haproxyCrtList),
    masterSocket: v.haproxyMasterSocket,
    reloadCommand: v.haproxyReloadCmd,
    allowRemote: v.haproxyAllowRemote,
    bufferSize: v.haproxyBufsize,
  };
}

/** A given list as it is; by default the known local services plus every TCP port of ours. */
function localPortsOf(v: z.output<typeof fields>, httpAddress: HttpAddress): number[] {
  if (v.localPorts !== undefined) return [...new Set(v.localPorts)];
  const sockets = [...(v.haproxySocket ?? []), ...(v.haproxyMasterSocket === undefined ? [] : [v.haproxyMasterSocket])];
  const ours = [httpAddress, ...sockets].flatMap((address) => (address.kind === 'tcp' ? [address.port] : []));
  return [...new Set([...DEFAULT_LOCAL_PORTS, ...ours])];
}

/** The one schema: raw winning values in, frozen-ready Config out. Keys match ConfigField. */
export const configSchema = fields
  .refine((v) => !(v.verbose === true && v.quiet === true), {
    error: 'Cannot combine --verbose and --quiet: choose one',
    path: ['quiet'],
    params: { [FULL_MESSAGE]: true },
    // Run even when other fields failed, so every problem is reported at once.
    when: () => true,
  })
  // Also runs when other fields failed; a socket that did not parse is skipped by isRemote().
  .superRefine(checkRemoteSockets, { when: () => true })
  .superRefine(checkEabPair, { when: () => true })
  .superRefine(checkHttp01Mode, { when: () => true })
  .superRefine(...resolvedPath('home', homeProblem))
  .superRefine(...resolvedPath('haproxyCrtList', crtListPathProblem))
  .transform((v, ctx): Config => {
    const domainList = v.domain ?? [];
    let name = v.name;
    if (name === undefined && domainList[0] !== undefined) {
      const fromDomain = checkName(defaultNameOf(domainList[0]));
      if (!fromDomain.ok) {
        ctx.issues.push({
          code: 'custom',
          path: ['domain', 0],
          input: domainList[0],
          message: 'the name is too long to be the certificate name (at most 64 characters); set --name',
        });
        return z.NEVER;
      }
      name = fromDomain.value;
    }
    const httpAddress = httpAddressOf(v.httpAddress, v.httpPort, v.httpPortWins);
    return {
      home: resolve(v.cwd, v.home),
      storage: v.storage,
      http01Mode: v.http01Mode,
      syncIntervalMs: v.syncInterval,
      leaseMs: v.lease,
      nodeId: v.node,
      directoryUrl: v.directory ?? (v.staging ? LETSENCRYPT_STAGING_DIRECTORY_URL : LETSENCRYPT_DIRECTORY_URL),
      caBundlePath: v.caBundle === undefined ? undefined : resolve(v.cwd, v.caBundle),
      email: v.email,
      domains: domainList,
      name,
      keyType: v.keyType,
      challengeType: v.challengeType,
      httpAddress,
      preflightUrl: v.preflight,
      requestTimeoutMs: v.requestTimeout,
      timeoutMs: v.timeout,
      output: { json: v.json, verbosity: verbosityOf(v) },
      haproxy: haproxyOf(v),
      lockTimeoutMs: v.lockTimeout,
      profile: v.profile,
      deployHooks: v.deployHook ?? [],
      hookTimeoutMs: v.hookTimeout,
      eab: eabOf(v),
      metricsFile: v.metricsFile === undefined ? undefined : resolve(v.cwd, v.metricsFile),
      localPorts: localPortsOf(v, httpAddress),
    };
  });
