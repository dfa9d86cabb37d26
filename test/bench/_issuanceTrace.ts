/**
 * Where one `acme issue` process spends its time, measured from inside it without changing it: a
 * `node -r` preload (plain CommonJS, written to a temp file, so that no TypeScript loader is
 * measured) wraps the Node APIs each phase goes through and writes a JSON summary at exit.
 *
 * - startup:        Node's own start until the preload runs (bootstrap, before our first module)
 * - moduleLoading:  outermost require() calls (loading and running our modules and packages)
 * - acmeRequests:   HTTP(S) exchanges with the CA (request until the answer's end), and their count
 * - pollWaits:      timers that fired (the poll loop's waits; no other timer fires in `acme issue`)
 * - keyGeneration:  crypto.generateKeyPair() until its callback
 * - storageFsyncs:  FileHandle.sync()/datasync() and fs.fsync(), and their count
 * - haproxy:        runtime-socket connections (open until close), and their count
 * - total:          Node's start until process exit; `other` is total minus the phases (our own code,
 *                   JWS signing, the responder, logging), negative when phases overlap
 */
import { readFile } from 'node:fs/promises';

/** The summary the preload writes. All times in ms. */
export interface IssuanceTrace {
  startup: number;
  moduleLoading: number;
  acmeRequests: number;
  acmeRequestCount: number;
  pollWaits: number;
  keyGeneration: number;
  storageFsyncs: number;
  storageFsyncCount: number;
  haproxy: number;
  haproxyCount: number;
  total: number;
}

/** Phases shown in the report, in order, with their labels. */
export const TRACE_PHASES: readonly [keyof IssuanceTrace, string][] = [
  ['startup', 'start-up (Node)'],
  ['moduleLoading', 'module loading'],
  ['acmeRequests', 'ACME round trips'],
  ['pollWaits', 'poll waits'],
  ['keyGeneration', 'key generation'],
  ['storageFsyncs', 'storage fsyncs'],
  ['haproxy', 'HAProxy runtime socket'],
];

/** Source of the preload; `ACME_BENCH_TRACE` names the output file. */
export const TRACE_PRELOAD_SOURCE = String.raw`'use strict';
const out = process.env.ACME_BENCH_TRACE;
const { performance } = require('node:perf_hooks');
const Module = require('node:module');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const crypto = require('node:crypto');
const t = { startup: performance.now(), moduleLoading: 0, acmeRequests: 0, acmeRequestCount: 0, pollWaits: 0,
  keyGeneration: 0, storageFsyncs: 0, storageFsyncCount: 0, haproxy: 0, haproxyCount: 0, total: 0 };
let depth = 0;
const load = Module._load;
Module._load = function (...args) {
  if (depth > 0) return load.apply(this, args);
  depth += 1;
  const started = performance.now();
  try { return load.apply(this, args); } finally { depth -= 1; t.moduleLoading += performance.now() - started; }
};
for (const lib of [http, https]) {
  const request = lib.request;
  lib.request = function (...args) {
    const started = performance.now();
    const req = request.apply(this, args);
    let counted = false;
    const done = () => { if (!counted) { counted = true; t.acmeRequests += performance.now() - started; t.acmeRequestCount += 1; } };
    req.once('response', (res) => { res.once('end', done); res.once('close', done); });
    req.once('error', done);
    return req;
  };
}
const setTimeoutReal = global.setTimeout;
global.setTimeout = function (callback, ms, ...rest) {
  const started = performance.now();
  return setTimeoutReal(function (...a) { t.pollWaits += performance.now() - started; return callback.apply(this, a); }, ms, ...rest);
};
const generateKeyPair = crypto.generateKeyPair;
crypto.generateKeyPair = function (type, options, callback) {
  const started = performance.now();
  return generateKeyPair.call(this, type, options, (...a) => { t.keyGeneration += performance.now() - started; callback(...a); });
};
const fsync = fs.fsync;
fs.fsync = function (fd, callback) {
  const started = performance.now();
  return fsync.call(this, fd, (...a) => { t.storageFsyncs += performance.now() - started; t.storageFsyncCount += 1; callback(...a); });
};
fs.promises.open('/dev/null', 'r').then((handle) => {
  const proto = Object.getPrototypeOf(handle);
  for (const name of ['sync', 'datasync']) {
    const original = proto[name];
    proto[name] = async function (...a) {
      const started = performance.now();
      try { return await original.apply(this, a); } finally { t.storageFsyncs += performance.now() - started; t.storageFsyncCount += 1; }
    };
  }
  return handle.close();
}, () => undefined);
const connect = net.connect;
net.connect = net.createConnection = function (...args) {
  const socket = connect.apply(this, args);
  const options = args[0];
  if (options && typeof options === 'object' && typeof options.path === 'string') {
    const started = performance.now();
    socket.once('close', () => { t.haproxy += performance.now() - started; t.haproxyCount += 1; });
  }
  return socket;
};
process.once('exit', () => {
  t.total = performance.now();
  if (out) fs.writeFileSync(out, JSON.stringify(t));
});
`;

/** Reads the summary a traced run wrote. @throws when the file is missing or not a summary */
export async function readTrace(path: string): Promise<IssuanceTrace> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as IssuanceTrace;
  if (typeof parsed.total !== 'number') throw new Error(`Cannot read the trace "${path}": no total`);
  return parsed;
}

/** The median of each phase over several runs (each run's own `other` included). */
export function medianTrace(traces: readonly IssuanceTrace[]): IssuanceTrace & { other: number } {
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
  };
  const keys = Object.keys(traces[0] ?? {}) as (keyof IssuanceTrace)[];
  const result = Object.fromEntries(
    keys.map((key) => [key, median(traces.map((x) => x[key]))]),
  ) as unknown as IssuanceTrace;
  const other = median(
    traces.map((x) => x.total - TRACE_PHASES.reduce((sum, [key]) => sum + (key === 'startup' ? x.startup : x[key]), 0)),
  );
  return { ...result, other };
}

/** The breakdown table: one row per phase, median ms and share of the median total. */
export function formatBreakdown(trace: IssuanceTrace & { other: number }, runs: number): string {
  const lines = [
    `Where one \`acme issue\` spends its time (median of ${runs} traced runs, in-process clock from Node's start):`,
    '',
    '| phase | median | share | count |',
    '|---|---|---|---|',
  ];
  const counts: Partial<Record<keyof IssuanceTrace, number>> = {
    acmeRequests: trace.acmeRequestCount,
    storageFsyncs: trace.storageFsyncCount,
    haproxy: trace.haproxyCount,
  };
  const row = (label: string, ms: number, count?: number): string =>
    `| ${label} | ${ms.toFixed(0)} ms | ${((100 * ms) / trace.total).toFixed(0)} % | ${count ?? ''} |`;
  for (const [key, label] of TRACE_PHASES) lines.push(row(label, trace[key], counts[key]));
  lines.push(row('other (our code, JWS signing, responder, logging)', trace.other));
  lines.push(`| **total** (Node start to exit) | ${trace.total.toFixed(0)} ms | 100 % | |`);
  return lines.join('\n');
}
