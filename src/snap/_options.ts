import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

/** Immich Distribution's default (snap/hooks/configure there sets `haproxy-http-bind="*:80"`). */
export const DEFAULT_HTTP_BIND = '*:80';
/** Immich Distribution's default (`haproxy-https-bind="*:443"`). */
export const DEFAULT_HTTPS_BIND = '*:443';

/**
 * Options only the snap's wrappers read; the CLI has no flag or variable for them. The first three carry
 * Immich Distribution's names; `haproxy-backend` is ours (the standalone snap needs somewhere to send traffic).
 */
export const WRAPPER_OPTION_KEYS = ['https-enabled', 'haproxy-http-bind', 'haproxy-https-bind', 'haproxy-backend'] as const;

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

/** A HAProxy `bind` or `server` address as validated: the text to write and its port. */
export interface SocketAddress {
  /** As written in haproxy.cfg, e.g. `*:80`, `0.0.0.0:443`, `[::]:443`, `127.0.0.1:3000`. */
  readonly text: string;
  readonly port: number;
}

/** The validated wrapper options. */
export interface WrapperOptions {
  /** Serve HTTPS from the crt-list and redirect plain HTTP to it (except ACME challenges). */
  readonly httpsEnabled: boolean;
  readonly httpBind: SocketAddress;
  readonly httpsBind: SocketAddress;
  /** The application HAProxy forwards to; undefined means HAProxy answers 503 itself. */
  readonly backend: SocketAddress | undefined;
}

const BIND_DETAIL = 'expected ADDR:PORT such as "*:80", "0.0.0.0:80", "127.0.0.1:8080" or "[::]:80"';
const SERVER_DETAIL = 'expected ADDR:PORT such as "127.0.0.1:3000" or "[::1]:3000"';

/**
 * Splits `ADDR:PORT` (pure). Only the forms below reach haproxy.cfg, so a value can never smuggle in a
 * second directive: `*` or empty (every address, binds only), an IPv4 address, a bracketed IPv6 address.
 * A bind option is therefore one HAProxy word, never several: bind settings such as `v4v6` or `ssl` are
 * the renderer's to write, and renderSnapHaproxyConfig() refuses any bind text that is not one word.
 */
function parseSocket(text: string, allowWildcard: boolean): SocketAddress | undefined {
  const match = /^(\*|\[[0-9a-fA-F:.]+\]|[0-9.]*):([0-9]{1,5})$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] as string;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  const wildcard = host === '*' || host === '';
  if (wildcard && !allowWildcard) return undefined;
  if (!wildcard && !isIPv4(host) && !(host.startsWith('[') && isIPv6(host.slice(1, -1)))) return undefined;
  return { text, port };
}

/** Snap option values are JSON; `snap set x k=""` leaves "" behind, which counts as unset, as in config/. */
const blankAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function socket(detail: string, allowWildcard: boolean) {
  return z.unknown().transform((value, ctx): SocketAddress => {
    const parsed = typeof value === 'string' ? parseSocket(value.trim(), allowWildcard) : undefined;
    if (parsed !== undefined) return parsed;
    ctx.issues.push({ code: 'custom', message: detail, input: value });
    return z.NEVER;
  });
}

/** `snap set x https-enabled=true` stores a JSON boolean; a quoted "true" is accepted as well. */
const booleanOption = z.union([z.boolean(), z.enum(['true', 'false']).transform((word) => word === 'true')], {
  error: 'expected true or false',
});

/** The one schema of the wrapper options; keys are the snap option names. */
export const wrapperOptionsSchema = z.object({
  'https-enabled': z.preprocess(blankAsUnset, booleanOption.default(false)),
  'haproxy-http-bind': z.preprocess(blankAsUnset, socket(BIND_DETAIL, true).default(parseSocket(DEFAULT_HTTP_BIND, true)!)),
  'haproxy-https-bind': z.preprocess(blankAsUnset, socket(BIND_DETAIL, true).default(parseSocket(DEFAULT_HTTPS_BIND, true)!)),
  'haproxy-backend': z.preprocess(blankAsUnset, socket(SERVER_DETAIL, false).optional()),
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
      httpsEnabled: data['https-enabled'],
      httpBind: data['haproxy-http-bind'],
      httpsBind: data['haproxy-https-bind'],
      backend: data['haproxy-backend'],
    },
  };
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
}

/**
 * Port clashes between HAProxy's binds and the HTTP-01 responder (pure). Ports are compared without their
 * hosts: a bind on `*` covers 127.0.0.1, and distinct loopback addresses on one port are not worth the risk.
 */
export function portClashProblems(wrapper: WrapperOptions, options: PortClashOptions): string[] {
  const { responderPort, acmePortValue } = options;
  const problems: string[] = [];
  const { httpBind, httpsBind, httpsEnabled } = wrapper;
  if (httpsEnabled && httpBind.port === httpsBind.port) {
    problems.push(
      `Invalid snap option haproxy-https-bind ${quoteValue(httpsBind.text)}: haproxy-http-bind ${quoteValue(httpBind.text)} uses the same port`,
    );
  }
  const clash = [httpBind, ...(httpsEnabled ? [httpsBind] : [])].find((bind) => bind.port === responderPort);
  if (clash !== undefined) {
    const option = clash === httpBind ? 'haproxy-http-bind' : 'haproxy-https-bind';
    const shown = acmePortValue === undefined ? String(responderPort) : acmePortValue;
    problems.push(
      `Invalid snap option acme-port ${quoteValue(shown)}: ${option} ${quoteValue(clash.text)} listens on the same port; ` +
        'choose another port, or unset acme-port to have a free one picked',
    );
  }
  return problems;
}
