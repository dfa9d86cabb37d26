/**
 * Hook benchmark (`npm run bench -- hooks`): what the safety of a post-renew hook costs. Side by
 * side in one run, interleaved, for a binary (`/bin/true`) and a shell script six directories
 * deep: a bare `spawn` of the path (what an unchecked runner does), checkHook() alone (the walk
 * from `/`, every link followed by hand), and runProgram() (check, open, fstat, exec of the
 * descriptor through `/proc/self/fd/3`, process group, output). Every loop is bounded.
 * Writes test/bench/results/hooks-bench.{json,md}; returns the table.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkHook, runProgram } from '../../src/deploy-hooks';
import { CapturingLogger } from '../../src/log';
import { summarise, timeMs, type LatencySummary } from './_stats';

const RESULTS_DIR = resolve(__dirname, 'results');
/** Runs of each method per program, interleaved. */
const RUNS = 200;
const ENV = { PATH: '/usr/bin:/bin' };

type Method = 'bare spawn' | 'checkHook()' | 'runProgram()';
const METHODS: Method[] = ['bare spawn', 'checkHook()', 'runProgram()'];

function spawnAndWait(path: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(path, [], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${path} exited ${String(code)}`))));
  });
}

async function once(method: Method, path: string): Promise<void> {
  if (method === 'bare spawn') return spawnAndWait(path);
  if (method === 'checkHook()') {
    await checkHook(path);
    return undefined;
  }
  const result = await runProgram(
    { label: 'bench', argv: [path] },
    { env: ENV, logger: new CapturingLogger(), timeoutMs: 10_000 },
  );
  if (!result.ok) throw new Error(`runProgram failed: ${result.error ?? 'unknown'}`);
  return undefined;
}

/** A script six directories deep, reached through a link, as a hook directory often is. */
async function deepScript(root: string): Promise<string> {
  const dir = join(root, 'a', 'b', 'c', 'd', 'e', 'post-renew.d');
  await mkdir(dir, { recursive: true });
  const real = join(root, 'a', 'reload.sh');
  await writeFile(real, '#!/bin/sh\nexit 0\n');
  await chmod(real, 0o755);
  await symlink(real, join(dir, '10-reload'));
  return join(dir, '10-reload');
}

/** Runs the hook benchmark and writes its results; returns the table. */
export async function runHooksBench(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'haproxy-acme-hooks-bench-'));
  try {
    const programs = {
      '/bin/true (binary)': '/bin/true',
      'shell script, 6 directories deep, via a link': await deepScript(root),
    };
    const samples = new Map<string, number[]>();
    for (let run = 0; run < RUNS; run += 1) {
      for (const [label, path] of Object.entries(programs)) {
        for (const method of METHODS) {
          const key = `${label}|${method}`;
          samples.set(key, [...(samples.get(key) ?? []), await timeMs(() => once(method, path))]);
        }
      }
    }
    const rows: Array<{ program: string; method: Method; latency: LatencySummary }> = [];
    for (const [key, values] of samples) {
      const [program, method] = key.split('|') as [string, Method];
      rows.push({ program, method, latency: summarise(values) });
    }
    const environment = { node: process.version, cpus: cpus().length, runs: RUNS, date: new Date().toISOString() };
    const table = [
      '| program | method | p50 ms | p99 ms | max ms |',
      '|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.program} | ${r.method} | ${r.latency.p50Ms.toFixed(2)} | ${r.latency.p99Ms.toFixed(2)} | ${r.latency.maxMs.toFixed(2)} |`,
      ),
    ].join('\n');
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(join(RESULTS_DIR, 'hooks-bench.json'), `${JSON.stringify({ environment, rows }, null, 2)}\n`);
    await writeFile(
      join(RESULTS_DIR, 'hooks-bench.md'),
      `# Hook benchmark\n\n${JSON.stringify(environment)}\n\n${table}\n`,
    );
    return table;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
