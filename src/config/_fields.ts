import { isIPv4, isIPv6 } from 'node:net';
import { haproxyWordProblem } from '../haproxyWord';
import { nodeIdProblem } from '../nodeId';
import { quote, type Check } from './_domain';
import { LETSENCRYPT_DIRECTORY_URL, LETSENCRYPT_STAGING_DIRECTORY_URL } from './_defaults';
import type { RuntimeSocketAddress } from './_types';

/** An address before the port rule is applied: a TCP address may still lack its port. */
export type ParsedAddress = { kind: 'tcp'; host: string; port: number | undefined } | { kind: 'unix'; path: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T = never>(detail: string): Check<T> => ({ ok: false, detail });

/** Detail shared by every port check. */
export const PORT_DETAIL = 'expected a whole number from 1 to 65535';
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_UNIX_PATH_BYTES = 107;
const UNIX_PATH_TOO_LONG = `the socket path is longer than ${MAX_UNIX_PATH_BYTES} bytes, the limit for unix sockets`;
const UNIX_PATH_CHARACTERS = 'use printable ASCII without spaces, "#", quotes, "\\" or "$"';
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Parses a port string strictly: digits only, so "80abc", "1e3", "-1" and "0x50" are refused. */
export function checkPort(text: string): Check<number> {
  if (!/^[0-9]{1,5}$/.test(text)) return fail(PORT_DETAIL);
  const port = Number(text);
  return port >= 1 && port <= 65535 ? ok(port) : fail(PORT_DETAIL);
}

function checkHost(host: string): Check<string> {
  const lower = host.toLowerCase();
  if (isIPv4(lower)) return ok(lower);
  if (lower.length <= 253 && lower.split('.').every((l) => HOST_LABEL.test(l))) return ok(lower);
  return fail('expected HOST, HOST:PORT, [IPv6]:PORT or unix:/absolute/path');
}

function checkUnixPath(path: string): Check<ParsedAddress> {
  if (!path.startsWith('/')) return fail('expected an absolute socket path after "unix:", e.g. "unix:/run/acme.sock"');
  if (path.includes('\0')) return fail('the socket path contains a NUL character');
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) return fail(UNIX_PATH_TOO_LONG);
  // HAProxy's configuration names the responder (`server acme unix@<path>`), so the path must be one
  // word there: a newline would start a directive of the caller's choosing, a space another argument.
  const problem = haproxyWordProblem(path);
  if (problem !== undefined)
    return fail(`the socket path cannot go into HAProxy's configuration: ${problem}; ${UNIX_PATH_CHARACTERS}`);
  return ok({ kind: 'unix', path });
}

function withPort(host: string, portText: string | undefined): Check<ParsedAddress> {
  if (portText === undefined) return ok({ kind: 'tcp', host, port: undefined });
  const port = checkPort(portText);
  return port.ok
    ? ok({ kind: 'tcp', host, port: port.value })
    : fail('expected a port from 1 to 65535 after the colon');
}

/**
 * Parses the responder address (pure). Samples: `0.0.0.0:8080`, `[::1]:8080`, `localhost`,
 * `unix:/run/haproxy-acme/http.sock`. A bare IPv6 address is refused because `::1:80` is ambiguous.
 */
export function checkHttpAddress(input: string): Check<ParsedAddress> {
  const text = input.trim();
  if (text.startsWith('unix:')) return checkUnixPath(text.slice('unix:'.length));
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed !== null) {
    const host = (bracketed[1] as string).toLowerCase();
    if (!isIPv6(host)) return fail(`expected an IPv6 address inside the brackets, not ${JSON.stringify(host)}`);
    return withPort(host, bracketed[2]);
  }
  if (isIPv6(text)) return fail(`put an IPv6 address in brackets, e.g. "[${text}]:34000"`);
  const colon = text.lastIndexOf(':');
  const hostText = colon === -1 ? text : text.slice(0, colon);
  if (hostText === '') return fail('expected a host before the port, e.g. "127.0.0.1:34000"');
  const host = checkHost(hostText);
  if (!host.ok) return host;
  return withPort(host.value, colon === -1 ? undefined : text.slice(colon + 1));
}

const SOCKET_FORMS = 'expected /absolute/path, unix@/absolute/path, ipv4@ADDRESS:PORT or ipv6@[ADDRESS]:PORT';
const RUNTIME_PORT_DETAIL = 'expected a port from 1 to 65535 after the colon';

function runtimeUnixPath(path: string, prefix: string): Check<RuntimeSocketAddress> {
  if (!path.startsWith('/')) {
    return fail(
      `expected an absolute socket path${prefix === '' ? '' : ' after "unix@"'}, e.g. "${prefix}/run/haproxy/admin.sock"`,
    );
  }
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) return fail(UNIX_PATH_TOO_LONG);
  return ok({ kind: 'unix', path });
}

function runtimePort(host: string, portText: string | undefined, example: string): Check<RuntimeSocketAddress> {
  if (portText === undefined || portText === '') return fail(`expected a port after the address, e.g. "${example}"`);
  const port = checkPort(portText);
  return port.ok ? ok({ kind: 'tcp', host, port: port.value }) : fail(RUNTIME_PORT_DETAIL);
}

function runtimeIpv4(rest: string): Check<RuntimeSocketAddress> {
  const colon = rest.lastIndexOf(':');
  const host = colon === -1 ? rest : rest.slice(0, colon);
  if (!isIPv4(host)) return fail(`expected an IPv4 address after "ipv4@", not ${quote(host)}`);
  return runtimePort(host, colon === -1 ? undefined : rest.slice(colon + 1), 'ipv4@127.0.0.1:9999');
}

function runtimeIpv6(rest: string): Check<RuntimeSocketAddress> {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed === null) return fail('put the IPv6 address in brackets, e.g. "ipv6@[::1]:9999"');
  const host = bracketed[1] as string;
  // URL compresses the address ("0:0:0:0:0:0:0:1" → "::1") and refuses zone indices such as "%eth0".
  if (!isIPv6(host) || !URL.canParse(`http://[${host}]/`)) {
    return fail(`expected an IPv6 address inside the brackets, not ${quote(host)}`);
  }
  const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  return runtimePort(canonical, bracketed[2], 'ipv6@[::1]:9999');
}

/** A bare "HOST:PORT" is valid in haproxy.cfg but ambiguous here, so the prefix is asked for. */
function withoutPrefix(text: string): Check<RuntimeSocketAddress> {
  if (text.startsWith('/')) return runtimeUnixPath(text, '');
  if (/^[0-9.]+:[0-9]*$/.test(text)) return fail(`add the address family in front, e.g. ${quote(`ipv4@${text}`)}`);
  if (text.startsWith('[')) return fail(`add the address family in front, e.g. ${quote(`ipv6@${text}`)}`);
  return runtimeUnixPath(text, '');
}

/**
 * Parses a HAProxy runtime or master CLI socket address the way haproxy.cfg writes it (pure).
 * Samples: `/run/haproxy/admin.sock`, `unix@/run/haproxy/admin.sock`, `ipv4@127.0.0.1:9999`, `ipv6@[::1]:9999`.
 * Whether a TCP host is allowed (loopback, or --haproxy-allow-remote) is decided by the caller.
 */
export function checkRuntimeSocket(input: string): Check<RuntimeSocketAddress> {
  if (CONTROL_CHARS.test(input)) return fail('the address contains a control character');
  const text = input.trim();
  if (text === '') return fail(SOCKET_FORMS);
  const prefix = /^([A-Za-z0-9_-]+)@/.exec(text)?.[1];
  if (prefix === undefined) return withoutPrefix(text);
  const rest = text.slice(prefix.length + 1);
  if (prefix === 'unix') return runtimeUnixPath(rest, 'unix@');
  if (prefix === 'ipv4') return runtimeIpv4(rest);
  if (prefix === 'ipv6') return runtimeIpv6(rest);
  if (prefix === 'abns') {
    return fail('abstract unix sockets (abns@) are not supported; use a socket path such as "/run/haproxy/admin.sock"');
  }
  return fail(`unknown address prefix ${quote(`${prefix}@`)}; ${SOCKET_FORMS}`);
}

/** True for a loopback host as checkRuntimeSocket() returns it: 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Resolves a directory shortcut or URL (pure); plain http is only allowed to a loopback host. */
export function checkDirectoryUrl(input: string): Check<string> {
  const text = input.trim();
  const shortcut = text.toLowerCase();
  if (shortcut === 'letsencrypt') return ok(LETSENCRYPT_DIRECTORY_URL);
  if (shortcut === 'letsencrypt-staging') return ok(LETSENCRYPT_STAGING_DIRECTORY_URL);
  const detail = 'expected an https URL, or the shortcut letsencrypt or letsencrypt-staging';
  if (!URL.canParse(text)) return fail(detail);
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') return fail('the URL must not contain a user name or password');
  if (url.protocol === 'https:') return ok(url.href);
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return ok(url.href);
  if (url.protocol === 'http:') return fail('plain http is only allowed to 127.0.0.1, localhost or [::1]; use https');
  return fail(detail);
}

/** Parses `--preflight` (pure): `off`, or an http(s) base URL with no path beyond "/". */
export function checkPreflightUrl(input: string): Check<string | undefined> {
  const text = input.trim();
  if (text.toLowerCase() === 'off') return ok(undefined);
  const detail = 'expected an http(s) URL such as "http://127.0.0.1:80", or off';
  if (!URL.canParse(text)) return fail(detail);
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(detail);
  if (url.username !== '' || url.password !== '') return fail('the URL must not contain a user name or password');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
    return fail('expected only a scheme, host and port; the challenge path is added automatically');
  }
  return ok(url.href);
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/** Parses an environment or snap boolean (pure): true/false/1/0/yes/no, any case. */
export function checkBoolean(input: string): Check<boolean> {
  const word = input.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return fail('expected true, false, 1, 0, yes or no');
}

/** Checked before lower-casing: "\u212A" (KELVIN SIGN) would otherwise become an ASCII "k". */
const PROFILE_CHARACTER = /^[A-Za-z0-9._-]$/;
const MAX_PROFILE_CHARS = 64;

/**
 * Checks an ACME profile name (pure): trimmed, lower-cased, 1 to 64 characters from a-z, 0-9, ".", "_"
 * and "-". Sample: `"ShortLived"` → `"shortlived"`. Whether the CA offers it is checked at order time,
 * against the directory's `meta.profiles` (draft-ietf-acme-profiles).
 */
export function checkProfile(input: string): Check<string> {
  const name = input.trim();
  if (name === '') return fail('expected a profile name such as "tlsserver" or "shortlived"');
  const bad = [...name].find((char) => !PROFILE_CHARACTER.test(char));
  if (bad !== undefined) return fail(`character ${quote(bad)} is not allowed; use a-z, 0-9, ".", "_" and "-"`);
  if (name.length > MAX_PROFILE_CHARS) {
    return fail(`the profile name is ${name.length} characters long; the limit is ${MAX_PROFILE_CHARS}`);
  }
  return ok(name.toLowerCase());
}

/**
 * Checks a node name (pure): trimmed, then the one node id rule (nodeIdProblem), then lower-cased
 * like a host name. Sample: `"HAProxy-1.lan"` → `"haproxy-1.lan"`.
 */
export function checkNodeId(input: string): Check<string> {
  const id = input.trim();
  const problem = nodeIdProblem(id, quote);
  return problem === undefined ? ok(id.toLowerCase()) : fail(problem);
}
