import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { BIND_DETAIL, opensPort, parseBindText, sharesPort, type BindText } from './_bind';

/** Immich Distribution's default (snap/hooks/configure there sets `haproxy-http-bind="*:80"`). */
export const DEFAULT_HTTP_BIND = '*:80';
/** Immich Distribution's default (`haproxy-https-bind="*:443"`). */
export const DEFAULT_HTTPS_BIND = '*:443';

/**
 * Options only the snap's wrappers read; the CLI has no flag or variable for them. The first four carry
 * Immich Distribution's names, values and meanings; `https-redirect` and `haproxy-backend` are ours (the
 * standalone snap needs somewhere to send traffic).
 */
export const WRAPPER_OPTION_KEYS = [
  'http-enabled',
  'https-enabled',
  'https-redirect',
  'haproxy-http-bind',
  'haproxy-https-bind',
  'haproxy-backend',
] as const;

/**
 * What configure writes back when an option is unset, as Immich Distribution's configure hook does, so
 * that `snap get` shows every setting in force. `acme-port` is picked separately (a free port).
 */
export const WRITTEN_BACK_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  'http-enabled': 'true',
  'https-enabled': 'false',
  'haproxy-http-bind': DEFAULT_HTTP_BIND,
  'haproxy-https-bind': DEFAULT_HTTPS_BIND,
  'acme-challenge-type': 'http',
});

/**
 * CLI snap options this snap fixes through each app's environment (snapcraft.yaml), which outranks snap
 * options: a value set here would be silently ignored, so configure refuses it instead.
 */
export const FIXED_OPTION_KEYS: Readonly<Record<string, string>> = Object.freeze({
  'acme-home': 'this snap keeps its state in $SNAP_COMMON/acme',
  'haproxy-socket': 'this snap uses the runtime socket of its own HAProxy, $SNAP_DATA/haproxy/admin.sock',
  'haproxy-crt-list': 'this snap uses the crt-list of its own HAProxy, $SNAP_COMMON/acme/crt-list.txt',
  'haproxy-master-socket': 'this snap uses the master socket of its own HAProxy, $SNAP_DATA/haproxy/master.sock',
});

/** A HAProxy `server` address as validated: the text to write and its port. */
export interface SocketAddress {
  /** As written in haproxy.cfg, e.g. `127.0.0.1:3001` or `[::1]:3001`. */
  readonly text: string;
  readonly port: number;
}

/** The validated wrapper options. */
export interface WrapperOptions {
  /** The HTTP frontend listens (Immich Distribution: only the literal false turns it off). */
  readonly httpEnabled: boolean;
  /** The HTTPS frontend listens and serves the crt-lists; plain HTTP keeps serving as before. */
  readonly httpsEnabled: boolean;
  /** Plain HTTP answers with a 301 to HTTPS, except ACME challenges; only with https-enabled. */
  readonly httpsRedirect: boolean;
  readonly httpBind: BindText;
  readonly httpsBind: BindText;
  /** The application HAProxy forwards to; undefined means HAProxy answers 503 itself. */
  readonly backend: SocketAddress | undefined;
}

const SERVER_DETAIL = 'expected ADDR:PORT such as "127.0.0.1:3001" or "[::1]:3001"';

/** Splits a server's `ADDR:PORT` (pure): an IPv4 address or a bracketed IPv6 address, never a wildcard. */
function parseServer(text: string): SocketAddress | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] as string;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  if (!isIPv4(host) && !(host.startsWith('[') && isIPv6(host.slice(1, -1)))) return undefined;
  return { text, port };
}

/** Snap option values are JSON; `snap set x k=""` leaves "" behind, which counts as unset, as in config/. */
const blankAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function parsed<T>(parse: (text: string) => T | undefined, detail: string) {
  return z.unknown().transform((value, ctx): T => {
    const result = typeof value === 'string' ? parse(value.trim()) : undefined;
    if (result !== undefined) return result;
    ctx.issues.push({ code: 'custom', message: detail, input: value });
    return z.NEVER;
  });
}

const bind = (fallback: string) => parsed(parseBindText, BIND_DETAIL).default(parseBindText(fallback) as BindText);

/** `snap set x https-enabled=true` stores a JSON boolean; a quoted "true" is accepted as well. */
const booleanOption = z.union([z.boolean(), z.enum(['true', 'false']).transform((word) => word === 'true')], {
  error: 'expected true or false',
});

/** The one schema of the wrapper options; keys are the snap option names. */
export const wrapperOptionsSchema = z.object({
  'http-enabled': z.preprocess(blankAsUnset, booleanOption.default(true)),
  'https-enabled': z.preprocess(blankAsUnset, booleanOption.default(false)),
  'https-redirect': z.preprocess(blankAsUnset, booleanOption.default(false)),
  'haproxy-http-bind': z.preprocess(blankAsUnset, bind(DEFAULT_HTTP_BIND)),
  'haproxy-https-bind': z.preprocess(blankAsUnset, bind(DEFAULT_HTTPS_BIND)),
  'haproxy-backend': z.preprocess(blankAsUnset, parsed(parseServer, SERVER_DETAIL).optional()),
});

/** The outcome of a check that reports every problem at once. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** What JSON.stringify leaves as it is but a terminal would hide or reorder: DEL, C1, format and line separators. */
const INVISIBLE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Quotes a snap value for a message: strings as JSON strings, anything else as its JSON text in quotes,
 * cut after 80 characters; characters a terminal would not show as themselves are escaped (`\u2028`).
 */
export function quoteValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown).replace(INVISIBLE, escapeCodePoint);
}

function escapeCodePoint(char: string): string {
  const hex = (char.codePointAt(0) as number).toString(16);
  return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/**
 * Validates the wrapper options (pure). Every problem names its option and value:
 * `Invalid snap option https-enabled "maybe": expected true or false`.
 */
export function parseWrapperOptions(values: Readonly<Record<string, unknown>>): Checked<WrapperOptions> {
  const picked = Object.fromEntries(WRAPPER_OPTION_KEYS.map((key) => [key, values[key]]));
  const result = wrapperOptionsSchema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `Invalid snap option ${key} ${quoteValue(values[key])}: ${issue.message}`;
    });
    return { ok: false, problems };
  }
  const data = result.data;
  return {
    ok: true,
    value: {
      httpEnabled: data['http-enabled'],
      httpsEnabled: data['https-enabled'],
      httpsRedirect: data['https-redirect'],
      httpBind: data['haproxy-http-bind'],
      httpsBind: data['haproxy-https-bind'],
      backend: data['haproxy-backend'],
    },
  };
}

/**
 * `acme-staging` inside the snap takes only true or false (pure). The CLI's own reader also takes 1, 0,
 * yes and no, but Immich Distribution counted only the literal `true` as staging, so there `yes` meant
 * production: refusing every other word keeps a value from changing meaning on the way.
 */
export function stagingProblems(values: Readonly<Record<string, unknown>>): string[] {
  const value = values['acme-staging'];
  if (value === undefined || value === null || value === true || value === false) return [];
  if (typeof value === 'string' && ['', 'true', 'false'].includes(value.trim())) return [];
  return [
    `Invalid snap option acme-staging ${quoteValue(value)}: expected true or false (Immich Distribution counted only the literal true as staging); ` +
      'set it to false, or unset it, for Let\'s Encrypt\'s production CA',
  ];
}

/** Problems for every fixed option that is set (pure); see FIXED_OPTION_KEYS. */
export function fixedOptionProblems(values: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(FIXED_OPTION_KEYS)
    .filter(([key]) => blankAsUnset(values[key]) !== undefined && values[key] !== null)
    .map(([key, why]) => `Invalid snap option ${key} ${quoteValue(values[key])}: ${why}; unset it with "snap unset <snap> ${key}"`);
}

/** The responder side of portClashProblems(). */
export interface PortClashOptions {
  /** The responder's TCP port (Config.httpAddress); undefined for a unix socket, which cannot clash. */
  responderPort: number | undefined;
  /** The `acme-port` snap option as set, for the message; undefined when the port is a default. */
  acmePortValue?: unknown;
  /** The HTTPS bind listens although https-enabled is false: it answers TLS-ALPN-01 challenges. */
  httpsBindForChallenges?: boolean;
}

/**
 * Port clashes between HAProxy's binds that will listen and the ACME responder (pure). Ports are compared
 * without their hosts: a bind on `*` covers 127.0.0.1, and distinct loopback addresses on one port are
 * not worth the risk.
 */
export function portClashProblems(wrapper: WrapperOptions, options: PortClashOptions): string[] {
  const { responderPort, acmePortValue } = options;
  const problems: string[] = [];
  const binds = [
    ...(wrapper.httpEnabled ? [{ option: 'haproxy-http-bind', bind: wrapper.httpBind }] : []),
    ...(wrapper.httpsEnabled || options.httpsBindForChallenges === true ? [{ option: 'haproxy-https-bind', bind: wrapper.httpsBind }] : []),
  ];
  const [first, second] = binds;
  if (first !== undefined && second !== undefined && sharesPort(first.bind.ports, second.bind.ports)) {
    problems.push(
      `Invalid snap option haproxy-https-bind ${quoteValue(second.bind.text)}: haproxy-http-bind ${quoteValue(first.bind.text)} uses the same port`,
    );
  }
  const clash = responderPort === undefined ? undefined : binds.find(({ bind }) => opensPort(bind.ports, responderPort));
  if (clash !== undefined) {
    const shown = acmePortValue === undefined ? String(responderPort) : acmePortValue;
    problems.push(
      `Invalid snap option acme-port ${quoteValue(shown)}: ${clash.option} ${quoteValue(clash.bind.text)} listens on the same port; ` +
        'choose another port, or unset acme-port to have a free one picked',
    );
  }
  return problems;
}
