/**
 * Responder benchmark loads: the wrk Lua script of random junk requests, the side loop that keeps
 * fetching the valid token, and a slowloris that keeps N connections dripping headers (opening a
 * new one whenever the responder drops one). Every loop ends at its deadline.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { summarise, type LatencySummary } from './_stats';

/**
 * Junk for wrk: random methods (no HEAD: wrk would wait for a body), traversal and encoding
 * tricks, random unknown tokens, a random header; one request in ten carries a body (405 and a
 * closed connection), one in fifty is not HTTP at all (400 and a closed connection).
 */
const JUNK_LUA = `-- haproxy-acme responder bench: random junk requests
local methods = {"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"}
local paths = {"/", "/.well-known/acme-challenge/", "/.well-known/acme-challenge/../../etc/passwd",
  "/.well-known/acme-challenge/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "//.well-known//acme-challenge//x",
  "/.well-known/acme-challenge/" .. string.rep("A", 129), "/.env", "/wp-login.php", "/.well-known/acme-challenge/%00"}
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local counter = 0
function init(args)
  counter = tonumber(tostring({}):match("0x(%x+)"), 16) or 1
  math.randomseed(os.time() + counter)
end
local function token()
  local t = {}
  for i = 1, 43 do
    local k = math.random(1, #alphabet)
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end
request = function()
  local r = math.random(1, 50)
  if r == 1 then return "\\22\\3\\1\\2\\0\\1\\0\\1\\252\\3\\3junk\\r\\n\\r\\n" end
  local path = paths[math.random(1, #paths)]
  if r <= 25 then path = "/.well-known/acme-challenge/" .. token() end
  if r <= 5 then return wrk.format("POST", path, {["X-Junk"] = token()}, "junk=" .. token()) end
  return wrk.format(methods[math.random(1, #methods)], path, {["X-Junk"] = token()})
end
`;

/** Writes the junk script; returns its path. */
export async function writeJunkScript(dir: string): Promise<string> {
  const path = join(dir, 'responder-junk.lua');
  await writeFile(path, JUNK_LUA, { mode: 0o600 });
  return path;
}

/** What the valid-token side loop saw. */
export interface SideLoopResult {
  successes: number;
  /** Anything but 200 with exactly the key authorization, or no answer within 5 s. */
  failures: number;
  latency: LatencySummary | undefined;
}

/** One GET of the token on a new connection; resolves with its latency, or undefined on failure. */
function fetchOnce(port: number, path: string, expected: string): Promise<number | undefined> {
  const started = process.hrtime.bigint();
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        done(res.statusCode === 200 && body === expected ? Number(process.hrtime.bigint() - started) / 1e6 : undefined),
      );
      res.on('error', () => done(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(undefined));
    req.end();
  });
}

/** Fetches `path` back to back until `durationMs` passed, pausing `gapMs` between fetches. */
export async function sideLoop(
  port: number,
  path: string,
  expected: string,
  options: { durationMs: number; gapMs: number },
): Promise<SideLoopResult> {
  const deadline = Date.now() + options.durationMs;
  const samples: number[] = [];
  let failures = 0;
  while (Date.now() < deadline) {
    const ms = await fetchOnce(port, path, expected);
    if (ms === undefined) failures += 1;
    else samples.push(ms);
    await sleep(options.gapMs);
  }
  return { successes: samples.length, failures, latency: samples.length > 0 ? summarise(samples) : undefined };
}

/** What a slowloris run did. */
export interface SlowlorisResult {
  /** Connections kept dripping at once. */
  target: number;
  opened: number;
  /** Connections the responder closed (header timeout, or the connection limit). */
  closedByResponder: number;
}

/**
 * Keeps `connections` connections open on `port` for `durationMs`, each sending one more byte of
 * an endless header section every `intervalMs`; a dropped one is replaced at the next tick.
 */
export async function runSlowloris(
  port: number,
  options: { connections: number; durationMs: number; intervalMs: number },
): Promise<SlowlorisResult> {
  const open = new Set<Socket>();
  let opened = 0;
  let closedByResponder = 0;
  let ending = false;
  const openOne = (): void => {
    const socket = connect({ host: '127.0.0.1', port });
    opened += 1;
    open.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      open.delete(socket);
      if (!ending) closedByResponder += 1;
    });
    socket.write('GET / HTTP/1.1\r\nHost: bench\r\nX-Slow: ');
  };
  const deadline = Date.now() + options.durationMs;
  while (Date.now() < deadline) {
    // At most 200 new connections per tick, so the listen backlog is never the bottleneck.
    for (let i = 0; open.size < options.connections && i < 200; i += 1) openOne();
    for (const socket of open) socket.write('a');
    await sleep(options.intervalMs);
  }
  ending = true;
  for (const socket of open) socket.destroy();
  return { target: options.connections, opened, closedByResponder };
}
