/**
 * `npm run bench`: runs every benchmark scenario, issuance, then swap, then renewal, and prints
 * their tables together at the end. `npm run bench -- renewal` (or `swap`, `issuance`, `responder`, `hooks`, `upgrade`, `scale`, `cluster`) runs one.
 * Each scenario writes its own results file: test/bench/results/{issue,swap,renewal}-bench.{json,md}.
 * The exit code is 1 when a scenario failed (e.g. HAProxy does not serve the swapped serial).
 */
import { runClusterBench } from './cluster';
import { runHooksBench } from './hooks-bench';
import { runIssuanceBench } from './issuance';
import { runRenewalBench } from './renewal';
import { runResponderBench } from './responder-bench';
import { runScaleBench } from './scale';
import { runSwapBench } from './swap';
import { runUpgradeBench } from './upgrade';

const SCENARIOS: Record<string, { title: string; run: () => Promise<string> }> = {
  issuance: { title: 'Issuance benchmark (haproxy-acme vs lego, pebble)', run: runIssuanceBench },
  swap: { title: 'Swap benchmark (certificate change under wrk load, HAProxy 2.6)', run: runSwapBench },
  renewal: { title: 'Renewal benchmark (nothing due ×1000, 100 due vs lego, daemon idle RSS)', run: runRenewalBench },
  responder: { title: 'Responder benchmark (HTTP-01 responder under junk and slowloris, RSS)', run: runResponderBench },
  hooks: {
    title: 'Hook benchmark (the cost of checking a hook and running it from its descriptor)',
    run: runHooksBench,
  },
  upgrade: {
    title:
      'Upgrade benchmark (adopting lego homes of 1-1000 certificates; TLS-ALPN-01 vs HTTP-01 through HAProxy, vs lego)',
    run: runUpgradeBench,
  },
  scale: {
    title:
      'Scale benchmark (1,000 and 10,000 certificates on one node under ulimit -n 1024: nothing-due pass, list, list --json, doctor)',
    run: runScaleBench,
  },
  cluster: {
    title:
      'Cluster benchmark (100 due at once on three nodes sharing PostgreSQL: orders, propagation; one node for context)',
    run: runClusterBench,
  },
};

function selected(args: string[]): string[] {
  if (args.length === 0) return Object.keys(SCENARIOS);
  const unknown = args.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(
      `Cannot run benchmark "${unknown.join('", "')}": choose from "${Object.keys(SCENARIOS).join('", "')}", or none for all`,
    );
  }
  return args;
}

async function main(): Promise<void> {
  const names = selected(process.argv.slice(2));
  const tables: string[] = [];
  let failed = false;
  for (const name of names) {
    const scenario = SCENARIOS[name]!;
    process.stderr.write(`bench: running ${name}…\n`);
    try {
      tables.push(`## ${scenario.title}\n\n${await scenario.run()}`);
    } catch (error) {
      failed = true;
      tables.push(`## ${scenario.title}\n\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.stdout.write(`\n${tables.join('\n\n')}\n`);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`Benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
